"""Knowledge base benchmark (issue 19): suggestions while typing and article search over
many articles.

    .venv/bin/python bench/knowledge.py --articles 100000
        [--database-url postgres://postgres@127.0.0.1:5432/itsm_bench_kb] [--requests 200]

Uses the database in the URL as it is (created when missing; ``sqlite:////path`` or
``sqlite`` for a temporary SQLite file), applies the migrations, adds a small world when
it has none (the provider ``nebula`` of ``bench/servicedesk.py`` is reused when there)
and tops its articles up to ``--articles`` with ``bulk_create`` — realistic Chinese
titles, summaries, fault structure and HTML bodies made of the benchmark vocabulary, their
search text computed as the service computes it, one revision each, 80% published, 60%
for customers (a tenth of those for one customer organization), a tenth restricted — and
keeps them for the next run. Then, against one gunicorn sync worker, it measures p50/p95
over realistic Chinese queries (two-character words, phrases, a customer's sentence):

- the suggestion fragment below the request form (``/knowledge/suggest/``) as a customer
  and as an agent, and the suggestion API (``/api/knowledge/suggestions/``);
- the staff article list searched (``/knowledge/articles/?q=`` and the API list);
- the customers' knowledge base searched (``/knowledge/?q=``);

and, in this process, ``knowledge.search.suggest`` itself. It prints the figures against
the target (suggestions p95 < 150 ms) and writes them as JSON to ``bench/results/``; it
asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import httpbench
from httpbench import percentile
from servicedesk import (
    AGENT_PASSWORD,
    RESULTS_DIR,
    configure_django,
    login,
    prepare_database,
    step,
    web_environment,
)
from vocabulary import CITIES, DETAILS, RESOLUTIONS, SYMPTOMS, SYSTEMS

DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/itsm_bench_kb"
TARGET_P95_MS = 150
SEED = 20261219
BATCH = 2000
#: What people type: two-character words, system names, phrases, whole sentences.
QUERIES = ["打印机卡纸", "卡纸", "VPN 连接超时", "邮箱", "密码过期", "财务系统登录报错",
           "无线网络", "数据库宕机", "三楼的打印机又卡纸了怎么办", "出差时 VPN 响应很慢",
           "视频会议 无法访问", "共享盘权限不足", "ERP 报表导出失败", "笔记本电脑蓝屏",
           "企业微信 同步失败", "域账号 证书过期", "MES 生产系统 页面白屏", "门禁系统打不开"]
TYPES = ["faq", "fault", "manual", "best_practice", "solved_problem"]
STEPS = ["确认故障现象并记录报错信息", "检查网络连接和账号状态", "清除浏览器缓存后重新登录",
         "重启相关服务或客户端", "联系服务台并提供截图", "按操作手册逐项核对配置"]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=DEFAULT_PG_URL,
                        help=f"loopback PostgreSQL URL or sqlite (default {DEFAULT_PG_URL})")
    parser.add_argument("--articles", type=int, default=100_000,
                        help="articles the database should hold (default 100000)")
    parser.add_argument("--requests", type=int, default=200,
                        help="timed requests per measurement (default 200)")
    parser.add_argument("--json", metavar="PATH", help="where to write the figures")
    return parser.parse_args(argv)


# --- The world and the articles ------------------------------------------------------------------


def load_or_build_world() -> dict:
    """The provider ``nebula`` with its customers, an agent and a customer who log in."""
    from django.contrib.auth import get_user_model

    from itsm.core import directory
    from itsm.core.choices import OrganizationKind, Role
    from itsm.core.models import Organization

    provider = Organization.objects.filter(code="nebula").first()
    if provider is None:
        provider = directory.create_object(Organization, actor=None, data={
            "code": "nebula", "name": "星云信息技术服务有限公司",
            "kind": OrganizationKind.PROVIDER})
        for i, city in enumerate(CITIES[:5]):
            directory.create_object(Organization, actor=None, data={
                "code": f"cust{i + 1:02d}", "name": f"{city}制造集团",
                "kind": OrganizationKind.CUSTOMER, "provider": provider})
    customers = list(Organization.objects.filter(provider=provider).order_by("code"))
    users = get_user_model().objects

    def person(username: str, organization, roles) -> object:
        user = users.filter(username=username).first() or directory.create_person(
            actor=None, data={"username": username, "first_name": "", "last_name": username,
                              "email": f"{username}@example.cn", "roles": roles,
                              "profile": {"organization": organization}})
        user.set_password(AGENT_PASSWORD)
        user.save(update_fields=["password"])
        return user

    return {"provider": provider, "customers": customers,
            "agent": person("bench_kb_agent", provider, [Role.AGENT]),
            "customer": person("bench_kb_customer", customers[0], [Role.REQUESTER])}


def article_row(rng: random.Random, i: int, world: dict) -> dict:
    system, symptom = rng.choice(SYSTEMS), rng.choice(SYMPTOMS)
    kind = rng.choice(TYPES)
    title = (f"{system}{symptom}的处理方法" if kind in ("fault", "solved_problem")
             else f"如何解决{system}{symptom}" if kind == "faq" else f"{system}使用手册（{i}）")
    steps = rng.sample(STEPS, 3)
    body = ("<h2>处理步骤</h2><ol>" + "".join(f"<li>{s}</li>" for s in steps) + "</ol>"
            f"<p>{rng.choice(DETAILS)}时，{rng.choice(RESOLUTIONS)}</p>")
    roll = rng.random()
    status = ("published" if roll < 0.8 else "draft" if roll < 0.9
              else "in_review" if roll < 0.95 else "outdated")
    roll = rng.random()
    visibility = "customers" if roll < 0.6 else "internal" if roll < 0.9 else "restricted"
    return {"title": title, "article_type": kind, "status": status, "visibility": visibility,
            "description": f"{system}出现“{symptom}”时的排查与解决步骤。",
            "keywords": f"{system} {symptom}",
            "symptom": f"{system}{symptom}，{rng.choice(DETAILS)}。",
            "cause": rng.choice(["配置变更后未同步", "证书过期", "磁盘空间不足", "网络抖动",
                                 "客户端版本过旧"]),
            "solution": rng.choice(RESOLUTIONS), "body": body,
            "helpful_count": rng.randrange(0, 50)}


def top_up(world: dict, wanted: int, rng: random.Random) -> int:
    """Bulk-create articles (numbered ``KB-2000-…``, out of the way of real numbering)
    with one revision each until the provider has ``wanted``; returns how many exist."""
    from django.db import transaction
    from django.db.models import OuterRef, Subquery
    from django.utils import timezone

    from itsm.knowledge import content
    from itsm.knowledge.models import Article, ArticleRevision

    have = Article.objects.filter(organization=world["provider"]).count()
    through = Article.customer_organizations.through
    now, agent = timezone.now(), world["agent"]
    while have < wanted:
        size = min(BATCH, wanted - have)
        with transaction.atomic():
            rows = []
            for i in range(have, have + size):
                data = article_row(rng, i, world)
                article = Article(organization=world["provider"], requester=agent,
                                  owner=agent, editor=agent, created_by=agent,
                                  number=f"KB-2000-{i + 1:07d}", created_at=now,
                                  updated_at=now, published_at=now, **data)
                article.body = content.sanitize(article.body)
                article.body_text = content.text_of(article.body)
                article.search_text = article.make_search_text()
                rows.append(article)
            Article.objects.bulk_create(rows)
            created = list(Article.objects.filter(number__in=[a.number for a in rows])
                           .values_list("pk", "visibility", "title", "description", "keywords",
                                        "symptom", "cause", "solution", "body"))
            ArticleRevision.objects.bulk_create([ArticleRevision(
                article_id=pk, number=1, editor=agent, created_at=now, summary="bench",
                title=title, description=description, keywords=keywords, symptom=symptom,
                cause=cause, solution=solution, body=body)
                for pk, _v, title, description, keywords, symptom, cause, solution, body
                in created])
            through.objects.bulk_create([
                through(article_id=pk, organization_id=rng.choice(world["customers"]).pk)
                for pk, visibility, *_rest in created
                if visibility == "customers" and rng.random() < 0.1])
            ids = [pk for pk, *_rest in created]
            first = ArticleRevision.objects.filter(article_id=OuterRef("pk"), number=1)
            Article.objects.filter(pk__in=ids).update(
                current_revision=Subquery(first.values("pk")[:1]))
            Article.objects.filter(pk__in=ids, status="published").update(
                published_revision=Subquery(first.values("pk")[:1]))
        have += size
        step(f"  {have:,} articles")
    return have


def analyze() -> None:
    """After a bulk load, what autovacuum would do a little later: fresh planner
    statistics and the full-text index's pending entries merged. Without them
    PostgreSQL finds the GIN index dear (its pending list is read in full) and walks the
    table testing every row's full text instead."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE knowledge_article, knowledge_articlerevision, "
                           "knowledge_article_customer_organizations")
        else:
            cursor.execute("ANALYZE")


# --- Measuring ------------------------------------------------------------------------------------


def series(base: str, headers: dict, paths: list[str], n: int) -> dict:
    """``n`` timed GETs cycling through ``paths`` (after one warm-up each)."""
    for path in paths:
        response = httpbench.request("GET", base + path, headers=headers)
        if response.status != 200:
            raise SystemExit(f"GET {path} answered {response.status}: {response.head()}")
    times = []
    for index in range(n):
        response = httpbench.request("GET", base + paths[index % len(paths)], headers=headers)
        if response.status != 200:
            raise SystemExit(f"GET {paths[index % len(paths)]} answered {response.status}")
        times.append(response.ms)
    return {"p50_ms": round(percentile(times, 50), 1), "p95_ms": round(percentile(times, 95), 1),
            "max_ms": round(max(times), 1), "n": n}


def measure_http(base: str, world: dict, n: int) -> dict:
    quote = urllib.parse.quote
    customer = {"Cookie": httpbench.cookie_header(login(base, "bench_kb_customer",
                                                        AGENT_PASSWORD))}
    agent = {"Cookie": httpbench.cookie_header(login(base, "bench_kb_agent", AGENT_PASSWORD))}
    cases = {
        "suggestions, web fragment (customer)":
            (customer, [f"/knowledge/suggest/?title={quote(q)}" for q in QUERIES]),
        "suggestions, web fragment (agent)":
            (agent, [f"/knowledge/suggest/?title={quote(q)}" for q in QUERIES]),
        "suggestions, API (customer)":
            (customer, [f"/api/knowledge/suggestions/?q={quote(q)}" for q in QUERIES]),
        "article list searched (agent, UI)":
            (agent, [f"/knowledge/articles/?q={quote(q)}&open=" for q in QUERIES]),
        "article list searched (agent, API)":
            (agent, [f"/api/knowledge/articles/?q={quote(q)}&open=" for q in QUERIES]),
        "knowledge base searched (customer)":
            (customer, [f"/knowledge/?q={quote(q)}" for q in QUERIES]),
    }
    figures = {}
    for name, (headers, paths) in cases.items():
        step(f"  {name}")
        count = n if name.startswith("suggestions") else max(20, n // 4)
        figures[name] = series(base, headers, paths, count)
    return figures


def measure_in_process(world: dict, n: int) -> dict:
    from itsm.knowledge import search

    figures = {}
    for name, user in (("customer", world["customer"]), ("agent", world["agent"])):
        for query in QUERIES:  # warm the tokenizer and the caches
            search.suggest(user, query)
        times = []
        for index in range(n):
            began = time.perf_counter()
            search.suggest(user, QUERIES[index % len(QUERIES)])
            times.append((time.perf_counter() - began) * 1000)
        figures[f"search.suggest ({name})"] = {
            "p50_ms": round(percentile(times, 50), 1), "p95_ms": round(percentile(times, 95), 1),
            "max_ms": round(max(times), 1), "n": n}
    return figures


def main(argv=None) -> int:
    args = parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="itsm-bench-knowledge-"))
    database_url, engine, _drop = prepare_database(args.database_url, tmp, reuse=True)
    configure_django(database_url, tmp / "var")
    from django.core.management import call_command
    from django.db import connections

    step("Migrating")
    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    world = load_or_build_world()
    step(f"Articles up to {args.articles:,}")
    began = time.perf_counter()
    articles = top_up(world, args.articles, random.Random(SEED))
    analyze()
    result = {"database": engine, "articles": articles,
              "load_seconds": round(time.perf_counter() - began, 1),
              "queries": QUERIES}
    step("In process: knowledge.search.suggest")
    result["in_process"] = measure_in_process(world, args.requests)
    connections.close_all()
    step("Measuring over HTTP (gunicorn, one sync worker)")
    server = httpbench.start_gunicorn(sys.executable, "itsm.wsgi:application",
                                      env=web_environment(database_url, tmp / "var", engine),
                                      ready_path="/accounts/login/")
    try:
        result["http"] = measure_http(server.url, world, args.requests)
    finally:
        server.stop()
        connections.close_all()
    RESULTS_DIR.mkdir(exist_ok=True)
    path = Path(args.json) if args.json else RESULTS_DIR / f"knowledge-{engine}-{articles}.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    print(f"\nKnowledge base at {articles:,} articles on {engine}")
    print(f"{'Measurement':45} {'p50':>9} {'p95':>9} {'max':>9}")
    for group in ("in_process", "http"):
        for name, figure in result[group].items():
            print(f"{name:45} {figure['p50_ms']:7.1f}ms {figure['p95_ms']:7.1f}ms "
                  f"{figure['max_ms']:7.1f}ms")
    worst = max(f["p95_ms"] for name, f in result["http"].items()
                if name.startswith("suggestions"))
    print(f"Target: suggestions p95 {worst:.0f} ms (< {TARGET_P95_MS}): "
          f"{'met' if worst < TARGET_P95_MS else 'NOT met'}")
    print(f"Written: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
