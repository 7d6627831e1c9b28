// A small rich-text editor over the body textarea: the server sanitises whatever it receives.
// HTML typed or pasted into the source box is parsed in an inert template and cleaned before it is shown in
// the live area, so markup from an untrusted source cannot run with the editor's session.
const ALLOWED_URL = /^(https?:|mailto:|tel:|\/|#)/i;

function inert(html) {
  // A template's content has no window: nothing in it loads or runs. Handler attributes are renamed before
  // parsing, or Chrome reports each one as a blocked inline script against the page's policy.
  const holder = document.createElement("template");
  holder.innerHTML = html.replace(/([\s\/"'])on([a-z]+\s*=)/gi, "$1data-dropped-on$2");
  return holder.content;
}

function cleanHtml(html) {
  const content = inert(html);
  for (const bad of content.querySelectorAll("script, style, iframe, object, embed, link, meta, base, form, svg, math")) {
    bad.remove();
  }
  for (const element of content.querySelectorAll("*")) {
    for (const attribute of [...element.attributes]) {
      const name = attribute.name.toLowerCase();
      const url = name === "href" || name === "src" || name === "xlink:href" || name === "action" || name === "srcset";
      if (name.startsWith("on") || name.startsWith("data-dropped-") || (url && !ALLOWED_URL.test(attribute.value.trim()))) {
        element.removeAttribute(attribute.name);
      }
    }
  }
  return content;
}

function showIn(area, html) {
  area.replaceChildren(document.importNode(cleanHtml(html), true));
}

document.addEventListener("DOMContentLoaded", () => {
  for (const holder of document.querySelectorAll(".rich-editor")) {
    const textarea = document.getElementById(holder.dataset.target);
    if (!textarea || textarea.closest("fieldset[disabled]")) continue;
    const bar = document.createElement("div");
    bar.className = "rich-toolbar";
    const area = document.createElement("div");
    area.className = "rich-area card";
    area.contentEditable = "true";
    showIn(area, textarea.value);
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
    textarea.addEventListener("input", () => { showIn(area, textarea.value); });
    holder.append(bar, area);
  }
});
