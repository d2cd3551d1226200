"""Demo data of the knowledge base (KB-1..3): a dozen Chinese articles of every type in
the shared categories — most published (for all customers, for 华东制造 only, internal,
restricted to 二线技术支持), one waiting for review, one draft, one past its review date —
with readers' votes, an open error report, a deflected request, and the printer-jam
request solved with its article."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from itsm.core import services as core_services
from itsm.core.models import Organization, Team
from itsm.knowledge import services
from itsm.knowledge.models import Article, KnowledgeCategory
from itsm.servicedesk.models import Incident, ServiceRequest

#: (key, author, reviewer (None: not submitted; "" : submitted, not approved), category,
#:  fields) — published unless the reviewer says otherwise.
ARTICLES: list[tuple[str, str, str | None, str, dict[str, Any]]] = [
    ("paper", "agent", "lead", "打印机与复印机", {
        "title": "打印机卡纸处理", "article_type": "fault", "visibility": "customers",
        "description": "共享打印机提示卡纸时，按以下步骤自行处理，通常两分钟内恢复。",
        "keywords": "卡纸 夹纸 打印机 复印机",
        "symptom": "打印机面板提示“卡纸”，打印任务停止，指示灯橙色闪烁。",
        "cause": "纸张受潮、纸盒放纸过多或纸张规格不符。",
        "solution": "关闭电源，打开前盖，顺着进纸方向慢慢取出卡住的纸；检查纸盒不超过最高刻度线，"
                    "重新开机后继续打印。",
        "body": "<h2>注意事项</h2><ul><li>不要用力向反方向拉纸</li><li>定影器温度较高，"
                "请等待一分钟再操作</li></ul><p>仍无法恢复时请提交服务请求。</p>"}),
    ("vpn", "engineer", "lead", "VPN", {
        "title": "VPN 无法连接", "article_type": "fault", "visibility": "customers",
        "description": "在家或出差时 VPN 客户端连接超时、认证失败的处理方法。",
        "keywords": "远程办公 VPN 超时 证书",
        "symptom": "VPN 客户端提示“连接超时”或“证书无效”。",
        "cause": "客户端证书过期，或本地网络屏蔽了 VPN 端口。",
        "solution": "在自助门户下载新证书并重新导入；更换手机热点测试网络；"
                    "仍失败时提交事件并附上客户端日志。",
        "body": "<p>客户端日志位置：<code>C:\\ProgramData\\VPN\\logs</code></p>"}),
    ("mailbox", "agent", "lead", "邮箱", {
        "title": "邮箱容量已满怎么办", "article_type": "faq", "visibility": "customers",
        "description": "收到“邮箱容量已满”提示时如何清理和申请扩容。",
        "keywords": "邮箱满 容量 扩容 归档",
        "body": "<h2>清理邮箱</h2><ol><li>清空“已删除邮件”和“垃圾邮件”</li>"
                "<li>将大附件邮件归档到本地</li></ol><h2>申请扩容</h2>"
                "<p>在服务目录中提交“邮箱扩容”请求，部门负责人审批后一个工作日内完成。</p>"}),
    ("password", "agent", "lead", "密码与登录", {
        "title": "域账号密码重置", "article_type": "faq", "visibility": "customers",
        "description": "忘记密码或密码过期时，通过自助门户重置域账号密码。",
        "keywords": "密码 重置 忘记密码 账号锁定",
        "body": "<p>打开自助门户，点击“忘记密码”，通过手机验证码验证身份后设置新密码。"
                "新密码至少 12 位，包含大小写字母和数字。</p>"
                "<p>账号被锁定时，30 分钟后自动解锁，或致电服务台。</p>"}),
    ("wifi", "engineer", "lead", "无线网络", {
        "title": "办公区无线网络连接不上", "article_type": "fault", "visibility": "customers",
        "description": "笔记本搜索不到或连不上办公无线网络。",
        "keywords": "WiFi 无线 网络 认证",
        "symptom": "能看到无线网络，但输入账号后提示认证失败。",
        "cause": "域账号密码已修改，设备上保存的是旧密码。",
        "solution": "在网络设置中“忘记此网络”，重新连接并输入新密码。"}),
    ("finance", "engineer", "lead", "财务系统", {
        "title": "财务系统登录提示“会话已过期”", "article_type": "solved_problem",
        "visibility": "customers", "customers": ["hdmfg"],
        "description": "华东制造财务系统升级后登录报错的原因和解决方法。",
        "keywords": "财务系统 会话已过期 登录",
        "symptom": "登录财务系统时提示“会话已过期”，清除缓存后仍然出现。",
        "cause": "升级后单点登录证书未同步到负载均衡节点。",
        "solution": "已同步证书并重启会话服务；如仍出现，请关闭浏览器后重新登录。"}),
    ("onboarding", "lead", "engineer", "电脑与外设", {
        "title": "新员工电脑配置手册", "article_type": "manual", "visibility": "internal",
        "description": "服务台为新员工准备电脑的标准步骤。",
        "keywords": "新员工 装机 配置",
        "body": "<h2>装机清单</h2><table><thead><tr><th>软件</th><th>版本</th></tr></thead>"
                "<tbody><tr><td>Office</td><td>2021</td></tr><tr><td>VPN 客户端</td>"
                "<td>6.2</td></tr></tbody></table>"}),
    ("patch", "engineer", "lead", "电脑与外设", {
        "title": "服务器安全补丁操作规范", "article_type": "best_practice",
        "visibility": "internal", "description": "月度补丁的准备、实施与回退要点。",
        "keywords": "补丁 变更 回退 快照",
        "body": "<ol><li>实施前创建快照</li><li>按变更窗口分批安装</li>"
                "<li>检查服务自启动并观察 30 分钟</li></ol>"}),
    ("mes", "engineer", "lead", "业务系统", {
        "title": "MES 数据库宕机应急处理", "article_type": "fault", "visibility": "restricted",
        "teams": ["二线技术支持"], "restricted_roles": ["team_lead"],
        "description": "生产系统数据库不可用时二线的处置步骤（仅限二线技术支持）。",
        "keywords": "MES 数据库 宕机 主备切换",
        "symptom": "MES 扫码全部失败，应用日志报“无法连接数据库”。",
        "cause": "主库磁盘写满导致实例停止。",
        "solution": "确认主库状态后执行主备切换，清理归档日志释放空间，再恢复主库。"}),
    ("share", "agent", "", "权限申请", {
        "title": "共享盘权限申请流程", "article_type": "faq", "visibility": "customers",
        "description": "如何申请部门共享盘的读写权限。",
        "keywords": "共享盘 权限 申请",
        "body": "<p>在服务目录提交“共享盘权限”请求，注明目录和读写要求，由数据所有人审批。</p>"}),
    ("video", "agent", "lead", "即时通讯", {
        "title": "视频会议设备使用说明", "article_type": "manual", "visibility": "customers",
        "description": "会议室视频终端的开机、入会和投屏。",
        "keywords": "视频会议 投屏 会议室",
        "body": "<ol><li>按遥控器电源键开机</li><li>输入会议号入会</li>"
                "<li>笔记本连接 HDMI 线即可投屏</li></ol>"}),
    ("office", "engineer", None, "电脑与外设", {
        "title": "Office 激活失败", "article_type": "fault", "visibility": "customers",
        "description": "Office 提示“产品未激活”时的处理（草稿）。",
        "symptom": "打开 Word 时提示产品未激活。", "cause": "", "solution": ""}),
]


def load(provider: Organization, people: dict[str, Any]) -> None:
    """Load the knowledge demo once (nothing when the provider has articles)."""
    if Article.objects.filter(organization=provider).exists():
        return
    categories = {c.name: c for c in KnowledgeCategory.objects.filter(provider__isnull=True)}
    teams = {t.name: t for t in Team.objects.filter(organization=provider)}
    customers = {o.code: o for o in Organization.objects.filter(provider=provider)}
    articles = {}
    for key, author, reviewer, category, fields in ARTICLES:
        data = dict(fields)
        data["customer_organizations"] = [customers[c] for c in data.pop("customers", [])
                                          if c in customers]
        data["restricted_teams"] = [teams[t] for t in data.pop("teams", []) if t in teams]
        data["article_category"] = categories.get(category)
        article = services.create_article(actor=people[author], data=data)
        if reviewer is not None:
            named = people[reviewer or "lead"]
            article = core_services.transition_record(article, "submit", actor=people[author],
                                                      values={"reviewer": named})
            if reviewer:
                article = core_services.transition_record(article, "approve", actor=named)
        articles[key] = article
    load_readers(provider, people, articles)


def load_readers(provider: Organization, people: dict[str, Any],
                 articles: dict[str, Article]) -> None:
    """Votes, an error report, a deflection, a past review date, a solved request and a
    revision with a change to publish."""
    requester, custadmin = people["requester"], people["custadmin"]
    for key in ("paper", "vpn", "password", "mailbox"):
        services.rate(articles[key], actor=requester, helpful=True)
    services.rate(articles["paper"], actor=custadmin, helpful=True)
    services.rate(articles["wifi"], actor=custadmin, helpful=False,
                  comment="我们楼层的无线名称和文中不一样")
    services.flag_error(articles["wifi"], actor=custadmin,
                        text="三楼的无线网络名称已改为 Nebula-Office，文章仍是旧名称。")
    services.record_deflection(articles["paper"], actor=requester, query="打印机卡纸")
    services.update_article(articles["vpn"], actor=people["agent"], changes={
        "solution": articles["vpn"].solution + "macOS 用户请使用 6.2 以上版本的客户端。",
        "summary": "补充 macOS 说明"})
    Article.objects.filter(pk=articles["video"].pk).update(
        review_due=timezone.localdate() - dt.timedelta(days=5))
    for model in (Incident, ServiceRequest):  # the demo's printer jam is an incident
        jam = model.objects.filter(organization__provider=provider, title="打印机卡纸").first()
        if jam is not None:
            services.use_to_resolve(articles["paper"], jam, actor=people["agent"])
            break
