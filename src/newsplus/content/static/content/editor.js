// A small rich-text editor over the body textarea: the server sanitises whatever it receives.
document.addEventListener("DOMContentLoaded", () => {
  for (const holder of document.querySelectorAll(".rich-editor")) {
    const textarea = document.getElementById(holder.dataset.target);
    if (!textarea || textarea.closest("fieldset[disabled]")) continue;
    const bar = document.createElement("div");
    bar.className = "rich-toolbar";
    const area = document.createElement("div");
    area.className = "rich-area card";
    area.contentEditable = "true";
    area.innerHTML = textarea.value;
    const buttons = [["B", "bold"], ["I", "italic"], ["H2", "formatBlock", "h2"], ["¶", "formatBlock", "p"],
      ["•", "insertUnorderedList"], ["1.", "insertOrderedList"], ["❝", "formatBlock", "blockquote"],
      ["🔗", "createLink"], ["🖼", "insertImage"]];
    for (const [label, command, value] of buttons) {
      const button = document.createElement("button");
      button.type = "button"; button.textContent = label; button.className = "button small secondary";
      button.addEventListener("click", () => {
        let arg = value;
        if (command === "createLink" || command === "insertImage") arg = prompt(command === "createLink" ? "URL" : "/media/…");
        if (arg !== null) document.execCommand(command, false, arg);
        textarea.value = area.innerHTML;
      });
      bar.append(button);
    }
    area.addEventListener("input", () => { textarea.value = area.innerHTML; });
    textarea.addEventListener("input", () => { area.innerHTML = textarea.value; });
    holder.append(bar, area);
  }
});
