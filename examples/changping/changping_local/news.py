"""Changping's demo news: channels, some three hundred articles over a year, the 回天之治 topic pinned home."""

from __future__ import annotations

import random
from datetime import timedelta

from newsplus import Newsplus
from newsplus.clock import now
from newsplus.content.articles import create_article
from newsplus.content.cache import changes
from newsplus.content.channels import save_channel
from newsplus.content.organise import add_pin, save_topic, set_topic_published
from newsplus.content.schemas import ArticleIn, ChannelIn, PinIn, TopicIn
from newsplus.content.tables import Article, Channel, Transition
from newsplus.users.access import CurrentUser
from newsplus.users.tables import Department, User

ROUNDS = 22
"""Each story again and again, as a year of news would have it: about three hundred articles."""
SPAN_DAYS = 365
CHANNELS = [
    ("news", "要闻", ""),
    ("local", "区内动态", ""),
    ("huitian", "回天", "local"),
    ("streets", "街道", "local"),
    ("video", "视频", ""),
    ("service", "便民", ""),
]
STORIES = [
    (
        "huitian",
        "天通苑北一社区堆积垃圾六小时清运完毕",
        "居民通过问政反映小区垃圾堆积，区城市管理委协调清运六十车，六小时内清理完毕。",
        ["回天", "垃圾分类"],
    ),
    (
        "huitian",
        "回天地区新增三条公交微循环线路",
        "为方便居民出行，回龙观、天通苑地区新开三条微循环公交线路，连接地铁站与大型社区。",
        ["回天", "出行"],
    ),
    ("huitian", "回龙观体育文化公园开放夜间健身区", "公园新增夜间照明和健身步道，开放时间延长至晚上十点。", ["回天"]),
    ("news", "区政府召开常务会议部署冬季供暖保障", "会议要求各街道做好供暖巡查，确保居民室温达标。", ["供暖"]),
    ("news", "昌平区2026年民生实事项目进展过半", "二十项民生实事中，社区养老驿站、学校扩容等十二项已完成。", ["民生"]),
    ("news", "全区推进垃圾分类示范小区创建", "今年新增示范小区四十个，居民分类投放准确率明显提高。", ["垃圾分类"]),
    ("streets", "霍营街道开展老旧小区综合整治", "整治涉及外墙保温、管线更新和加装电梯，预计明年完工。", ["老旧小区"]),
    ("streets", "城北街道举办社区邻里节", "邻里节设置便民服务、文艺演出和二手物品交换等活动。", ["社区"]),
    ("streets", "天通苑南街道新设社区养老服务驿站", "驿站提供助餐、助浴和日间照料服务。", ["养老"]),
    (
        "service",
        "社保卡补换领办理指南",
        "补换社保卡可在线申请，也可到各街道社保所办理，所需材料和流程见正文。",
        ["社保"],
    ),
    ("service", "冬季流感高发，区卫健委提示做好防护", "区卫健委提醒居民接种流感疫苗，出现症状及时就医。", ["医疗"]),
    ("service", "中小学入学信息采集时间公布", "适龄儿童家长可在规定时间内登录系统完成信息采集。", ["教育"]),
    ("video", "航拍昌平：十三陵水库初冬景色", "无人机视角记录初冬的十三陵水库。", ["昌平"]),
    ("video", "视频｜农业嘉年华筹备进行时", "草莓博览园内，工作人员正在布置展区。", ["农业嘉年华"]),
]


async def seed_news(newsplus: Newsplus) -> list[str]:
    """Write Changping's channels, demo articles and the pinned 回天之治 topic (once)."""
    if await Channel.exists().where(Channel.slug == "news"):
        return []
    for position, (slug, name, parent) in enumerate(CHANNELS):
        await save_channel(newsplus, ChannelIn(slug=slug, name=name, parent=parent, position=position))
    editor = await User.select(User.id).where(User.username == "editor").first()
    author = CurrentUser(id=editor["id"] if editor else 0, kind="staff", display_name="编辑小王")
    streets = {r["name"]: r["id"] for r in await Department.select(Department.id, Department.name)}
    rng = random.Random(2018)
    moment = now()
    ids: list[int] = []
    for round_ in range(ROUNDS):
        for channel, title, summary, tags in STORIES:
            label = title if round_ == 0 else f"{title}（第{round_ + 1}期）"
            body = "".join(
                f"<p>{summary}{'记者从相关部门了解到，相关工作正在有序推进。' * (i + 1)}</p>" for i in range(3)
            )
            street = streets.get("天通苑北街道") if "天通苑北" in title else None
            data = ArticleIn(
                title=label,
                channel=channel,
                kind="video" if channel == "video" else "article",
                link="https://www.example.org/video" if channel == "video" else "",
                summary=summary,
                body=body,
                tags=tags,
                street=street,
            )
            ids.append(await create_article(newsplus, author, data))
    async with changes(newsplus):
        for index, article_id in enumerate(ids):
            published = moment - timedelta(days=index * SPAN_DAYS / len(ids), minutes=rng.randint(0, 600))
            await Article.update(
                {
                    Article.status: "published",
                    Article.published_at: published,
                    Article.view_count: rng.randint(50, 5000),
                }
            ).where(Article.id == article_id)
            await Transition(
                article=article_id,
                from_status="draft",
                to_status="published",
                comment="Demo data",
                created_at=published,
            ).save()
    topic = await save_topic(
        newsplus,
        TopicIn(
            slug="huitian",
            title="回天之治",
            intro="<p>回龙观、天通苑地区三年行动计划：公共服务、交通治理、市政基础设施。</p>",
            items=[{"article": i, "section": "民生实事"} for i in ids[:3]],
        ),
    )
    await set_topic_published(newsplus, topic, True)
    await add_pin(newsplus, author, PinIn(topic="huitian", rank=0))
    await add_pin(newsplus, author, PinIn(article=ids[3], rank=1))
    return [f"Demo news: {len(CHANNELS)} channels, {len(ids)} articles, the 回天之治 topic pinned on the home page."]
