"""A corpus of stored-XSS payloads (not a test module; used by ``test_xss.py``).

Each payload is a template: ``@@`` is replaced by a number unique to the payload and the
field it is stored in. Executed, every payload calls ``window.__xss(<number>)`` (never only
``alert``), so a browser test knows exactly which payload in which field fired. Every
payload also contains the literal text ``__xss(<number>)``, so a test can check that the
value was rendered, as text, on the page.

Real NUL characters are left out: PostgreSQL text cannot store them and Django's form
fields refuse them; ``%00`` and ``&#0;`` stand for the null-byte family instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PLACEHOLDER = "@@"
#: What an executed payload calls, and what its escaped text always contains.
MARKER_RE = re.compile(r"__xss\((\d+)\)")


@dataclass(frozen=True)
class Payload:
    family: str
    template: str

    def render(self, ident: int) -> str:
        return self.template.replace(PLACEHOLDER, str(ident))


_RAW: list[tuple[str, str]] = [
    # <script> in its many spellings
    ("script", "<script>__xss(@@)</script>"),
    ("script", "打印机<script>__xss(@@)</script>卡纸"),
    ("script", "<ScRiPt>__xss(@@)</sCrIpT>"),
    ("script", '<script src="data:text/javascript,__xss(@@)"></script>'),
    ("script", "<<script>script>__xss(@@)<</script>/script>"),
    ("script", "<svg><script>__xss(@@)</script></svg>"),
    # event handlers
    ("handler", "<img src=x onerror=__xss(@@)>"),
    ("handler", '报错：<img src="x" onerror="__xss(@@)">，请处理'),
    ("handler", "<img/src=x/onerror=__xss(@@)>"),
    ("handler", "<img src=x\tonerror=__xss(@@)>"),
    ("handler", "<img src=x onerror=__xss(@@)//"),
    ("handler", "<svg onload=__xss(@@)>"),
    ("handler", "<svg/onload=__xss(@@)>"),
    ("handler", "<body onload=__xss(@@)>"),
    ("handler", "<details open ontoggle=__xss(@@)>详情</details>"),
    ("handler", "<input autofocus onfocus=__xss(@@)>"),
    ("handler", '<input onfocus=__xss(@@) autofocus value="输入">'),
    ("handler", "<select autofocus onfocus=__xss(@@)></select>"),
    ("handler", "<textarea autofocus onfocus=__xss(@@)></textarea>"),
    ("handler", "<x contenteditable onfocus=__xss(@@) autofocus>编辑</x>"),
    ("handler", '<div onmouseover=__xss(@@) style="position:fixed;inset:0">遮罩</div>'),
    ("handler", "<marquee onstart=__xss(@@)>跑马灯</marquee>"),
    ("handler", "<video><source onerror=__xss(@@)></video>"),
    ("handler", "<audio src=x onerror=__xss(@@)>"),
    ("handler", "<svg><animate onbegin=__xss(@@) attributeName=x dur=1s>"),
    ("handler", "<svg><set onbegin=__xss(@@) attributeName=x to=1>"),
    ("handler", "<isindex type=image src=1 onerror=__xss(@@)>"),
    # URLs with active schemes, in links and Markdown
    ("url", '<a href="javascript:__xss(@@)">点击</a>'),
    ("url", '<a href="JaVaScRiPt:__xss(@@)">链接</a>'),
    ("url", '<a href="&#106;avascript:__xss(@@)">x</a>'),
    ("url", '<a href="java&#x09;script:__xss(@@)">x</a>'),
    ("url", '<a href="vbscript:__xss(@@)">x</a>'),
    ("url", '<a href="data:text/html,<script>__xss(@@)</script>">x</a>'),
    ("url", "javascript:__xss(@@)"),
    ("url", "data:text/html,<script>__xss(@@)</script>"),
    ("url", "[点击这里](javascript:__xss(@@))"),
    ("url", '![截图](x" onerror="__xss(@@))'),
    ("url", '<form><button formaction="javascript:__xss(@@)">提交</button></form>'),
    ("url", '<object data="javascript:__xss(@@)"></object>'),
    ("url", '<embed src="javascript:__xss(@@)">'),
    ("url", '<meta http-equiv="refresh" content="0;url=javascript:__xss(@@)">'),
    ("url", '<base href="javascript:__xss(@@)//">'),
    # attribute breakouts
    ("attribute", '"><img src=x onerror=__xss(@@)>'),
    ("attribute", "'><img src=x onerror=__xss(@@)>"),
    ("attribute", '" onmouseover="__xss(@@)" x="'),
    ("attribute", "' onmouseover='__xss(@@)' x='"),
    ("attribute", '" autofocus onfocus="__xss(@@)'),
    ("attribute", '<img src=x onerror=__xss(@@) x="'),
    # element breakouts
    ("breakout", "</textarea><img src=x onerror=__xss(@@)>"),
    ("breakout", "</title><img src=x onerror=__xss(@@)>"),
    ("breakout", "</script><script>__xss(@@)</script>"),
    ("breakout", "</style><img src=x onerror=__xss(@@)>"),
    ("breakout", "</option></select><img src=x onerror=__xss(@@)>"),
    ("breakout", "--><img src=x onerror=__xss(@@)>"),
    ("breakout", "]]><script>__xss(@@)</script>"),
    # JavaScript strings, template literals, JSON embedded in <script>, templates
    ("js", "\u2028</script><script>__xss(@@)</script>"),
    ("js", '";__xss(@@);//'),
    ("js", "';__xss(@@);//"),
    ("js", '\\";__xss(@@);//'),
    ("js", "`;__xss(@@);`"),
    ("js", "${__xss(@@)}"),
    ("js", "{{7*7}}{{constructor.constructor('__xss(@@)')()}}"),
    ("js", "{% raw %}{{ __xss(@@) }}{% endraw %}"),
    ("js", '<div hx-get="/" hx-trigger="load" hx-on::after-request="__xss(@@)">h</div>'),
    ("js", '<button hx-on:click="__xss(@@)" autofocus>按钮</button>'),
    # CSS
    ("css", '<div style="background:url(javascript:__xss(@@))">样式</div>'),
    ("css", '<div style="width:expression(__xss(@@))">x</div>'),
    ("css", "<style>@import 'javascript:__xss(@@)';</style>"),
    ("css", '<table background="javascript:__xss(@@)"><td>x</td></table>'),
    # frames
    ("frame", '<iframe srcdoc="<script>parent.__xss(@@)</script>"></iframe>'),
    ("frame", '<iframe src="javascript:parent.__xss(@@)"></iframe>'),
    # namespace confusion and mutation XSS
    ("mxss", "<math><mtext><table><mglyph><style><img src=x onerror=__xss(@@)>"),
    ("mxss", "<svg><style><img src=x onerror=__xss(@@)></style></svg>"),
    ("mxss", '<noscript><p title="</noscript><img src=x onerror=__xss(@@)>">'),
    ("mxss", '<math><maction xlink:href="javascript:__xss(@@)">x</maction></math>'),
    ("mxss", '<svg><a xlink:href="javascript:__xss(@@)"><text y=20>x</text></a></svg>'),
    ("mxss", "<template><img src=x onerror=__xss(@@)></template>"),
    # encoded variants
    ("encoded", "&lt;script&gt;__xss(@@)&lt;/script&gt;"),
    ("encoded", "&#60;img src=x onerror=__xss(@@)&#62;"),
    ("encoded", "%3Cscript%3E__xss(@@)%3C/script%3E"),
    ("encoded", "＜script＞__xss(@@)＜/script＞"),
    ("encoded", "<scr%00ipt>__xss(@@)</scr%00ipt>"),
    ("encoded", "<img src=x o&#0;nerror=__xss(@@)>"),
    ("encoded", "\\u003cscript\\u003e__xss(@@)\\u003c/script\\u003e"),
]

PAYLOADS: list[Payload] = [Payload(family, template) for family, template in _RAW]

assert len({p.template for p in PAYLOADS}) == len(PAYLOADS), "payloads must be distinct"
assert all("__xss(@@)" in p.template for p in PAYLOADS)
