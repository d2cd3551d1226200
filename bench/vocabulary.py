"""The benchmark data vocabulary, shared by the ITSM and django-helpdesk benchmarks: Chinese
systems, symptoms and details that titles and descriptions are made of, and the shares of
statuses and priorities and the spread of creation times over one year."""

import datetime as dt
import itertools
import random

SYSTEMS = ["财务系统", "ERP", "OA 办公系统", "邮箱", "VPN", "打印机", "MES 生产系统", "CRM",
           "人事系统", "共享盘", "视频会议", "无线网络", "门禁系统", "报表平台", "数据库",
           "域账号", "笔记本电脑", "显示器", "桌面云", "企业微信"]
SYMPTOMS = ["登录报错", "无法访问", "响应很慢", "频繁卡顿", "宕机", "卡纸", "打不开",
            "数据不同步", "连接超时", "权限不足", "报表导出失败", "页面白屏", "密码过期",
            "证书过期", "无法打印", "蓝屏", "同步失败", "提示会话已过期"]
REQUESTS = ["申请开通账号", "申请权限", "申请安装软件", "申请更换设备", "申请扩容",
            "申请开通 VPN", "申请重置密码", "申请新员工入职配置", "申请会议室设备支持",
            "申请数据恢复"]
DETAILS = ["今天上午开始出现，影响部门正常办公", "清除缓存后仍然无法解决",
           "多名同事反映相同问题", "重启电脑后问题依旧", "出差期间使用时发现",
           "月底结账期间急需处理", "已经持续两天", "偶发，大约每小时一次",
           "更换网络后仍然存在", "新入职员工需要尽快开通"]
RESOLUTIONS = ["已远程处理完毕，请确认。", "已重置密码并告知用户。", "已更换硬件，测试正常。",
               "已调整权限配置。", "已重启服务，恢复正常。", "已安装并激活软件。",
               "已清理磁盘空间并扩容。", "属于网络运营商故障，已协调恢复。"]
CATEGORIES = ["账号与权限", "桌面终端", "网络", "应用系统", "打印", "邮件", "数据库", "其他"]
CITIES = ["华东", "华南", "华北", "西部", "东北", "西南", "中原", "江南", "沿海", "京津"]
INDUSTRIES = [("制造", "集团"), ("能源", "股份有限公司"), ("物流", "有限公司"),
              ("医药", "集团"), ("零售", "有限公司"), ("建设", "工程有限公司"),
              ("电子", "科技有限公司"), ("食品", "集团"), ("化工", "股份有限公司"),
              ("银行", "股份有限公司")]
FAMILY = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
         "涛", "明", "超", "秀英", "霞", "平", "刚", "桂英", "建华", "晓东", "文", "斌", "宇",
         "浩", "鑫", "婷"]
TEAM_NAMES = ["一线服务台", "二线桌面支持", "二线应用支持", "数据库组", "服务器与存储组",
              "网络组", "安全组", "MES 支持组", "现场服务一组", "现场服务二组"]


def person_name(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FAMILY), rng.choice(GIVEN)


PRIORITY_WEIGHTS = {1: 5, 2: 20, 3: 55, 4: 20}
#: status → share of all tickets (≈ 10 % open, resolved counted as open: it is not final).
STATUS_WEIGHTS = {"closed": 84.5, "cancelled": 5.5, "new": 1.5, "assigned": 2.0,
                  "in_progress": 3.5, "waiting_customer": 1.0, "waiting_third_party": 0.5,
                  "resolved": 1.5}
FINAL = {"closed", "cancelled"}


HOURS = range(24)
#: Cumulative weights of the hour a ticket is raised (office hours mostly).
HOUR_WEIGHTS = list(itertools.accumulate([1, 1, 1, 1, 1, 1, 2, 4, 12, 20, 22, 18, 8, 16, 20, 20, 18,
                                          14, 8, 5, 4, 3, 2, 1]))


def random_created_at(rng: random.Random, now: dt.datetime, is_open: bool,
                      tz) -> dt.datetime:
    """Working days and office hours mostly; open tickets are mostly recent."""
    if is_open and rng.random() < 0.8:
        days = rng.expovariate(1 / 6)
        days = min(days, 60)
    else:
        days = rng.uniform(0, 365)
    moment = (now - dt.timedelta(days=days)).astimezone(tz)
    if moment.weekday() >= 5 and rng.random() < 0.8:
        moment -= dt.timedelta(days=moment.weekday() - 4)
    hour = rng.choices(HOURS, cum_weights=HOUR_WEIGHTS)[0]
    moment = moment.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60),
                            microsecond=rng.randrange(1_000_000))
    return min(moment, now - dt.timedelta(minutes=1)).astimezone(dt.UTC)

#: Keyword searches measured on both systems: a 2-character and a 4-character Chinese
#: word and an English word (run.py pairs the figures by these words).
SEARCH_WORDS = ("宕机", "财务系统", "VPN")
