"""Arabic extraction speed per character beside English, one core, model load excluded.

usage: python benchmarks/bench_extract_arabic.py [--articles N] [--rounds R]

The Arabic texts are assembled from short sentences written for this benchmark (never copied
from the corpus), in the shape of local-network and monitor reports: a clash with date and
place, a drone strike, a toll, an arrest raid, a protest, statements and background. The English
texts are ``bench_extract``'s. Prints characters per CPU second for each language (best of R
rounds) and the ratio; the target is Arabic within 1.5x of English per character (issue 10 asked
for 2x; the one-pass trigger and actor search brought it under 1x).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_extract import make_article  # noqa: E402

from conflictmap.extract import extract_article, warm_up  # noqa: E402
from conflictmap.geo.gazetteer import load_gazetteer  # noqa: E402
from conflictmap.models import Article  # noqa: E402

TOWNS = ["هجين", "ذيبان", "الشحيل", "البصيرة", "أبو حمام", "غرانيج", "الميادين", "السوسة", "خشام", "البوكمال"]
ACTORS = [
    "قوات سوريا الديمقراطية",
    "مقاتلو العشائر",
    "خلايا تنظيم الدولة",
    "قوات النظام",
    "الميليشيات الإيرانية",
]
DAYS = ["الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"]
TEMPLATES = [
    "اندلعت اشتباكات بين {a} و{b} في بلدة {t} يوم {d}، بحسب مصادر محلية.",
    "وأسفرت المواجهات عن مقتل {n} عناصر على الأقل وإصابة آخرين.",
    "استهدفت طائرة مسيرة مجهولة سيارة قرب {t} فجر {d}، ما أدى إلى مقتل {n} أشخاص.",
    "داهمت {a} منازل في بلدة {t} يوم {d} واعتقلت {n} شبان بتهمة التعامل مع التنظيم.",
    "خرج أهالي {t} في مظاهرة يوم {d} احتجاجا على ممارسات {a}.",
    "وقال المتحدث إن قواته سترد على أي هجوم يستهدف مواقعها.",
    "وتتقاسم {a} و{b} السيطرة على المحافظة، ويفصل نهر الفرات بين مناطقهما.",
    "قصفت {a} بقذائف الهاون أطراف بلدة {t} مساء {d}، دون وقوع إصابات.",
    "وتشهد المنطقة توترا متكررا منذ مطلع العام.",
    "ولم يعلق المسؤولون على هذه الأنباء حتى ساعة إعداد التقرير.",
    "وفرضت {a} حظرا للتجوال في {t} عقب الاشتباكات.",
]


def make_arabic(i: int, rng: random.Random, size: int = 2000) -> Article:
    parts = ["دير الزور – "]
    while sum(len(p) + 1 for p in parts) < size:
        a, b = rng.sample(ACTORS, 2)
        parts.append(
            rng.choice(TEMPLATES).format(
                a=a, b=b, t=rng.choice(TOWNS), d=rng.choice(DAYS), n=rng.randint(2, 30)
            )
        )
    text = " ".join(parts)[:size]
    return Article(f"bench-ar-{i}", None, "bench", None, date(2023, 1, 1) + timedelta(days=i), text, "ar")


def _chars_per_cpu_second(articles: list[Article], gaz, rounds: int) -> tuple[float, int]:
    best, events = float("inf"), 0
    for _ in range(rounds):
        start = time.process_time()
        events = sum(len(extract_article(a, gaz)) for a in articles)
        best = min(best, time.process_time() - start)
    return sum(len(a.text) for a in articles) / best, events


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    rng = random.Random(7)  # noqa: S311 - reproducible test texts, not security
    arabic = [make_arabic(i, rng) for i in range(args.articles)]
    english = [make_article(i, rng) for i in range(args.articles)]
    gaz = load_gazetteer()
    warm_up()
    ar, ar_events = _chars_per_cpu_second(arabic, gaz, args.rounds)
    en, en_events = _chars_per_cpu_second(english, gaz, args.rounds)
    print(f"Arabic:  {ar:,.0f} chars per CPU second ({args.articles} articles, {ar_events} events)")
    print(f"English: {en:,.0f} chars per CPU second ({args.articles} articles, {en_events} events)")
    print(f"Arabic takes {en / ar:.2f}x English's time per character (target: within 1.5x)")


if __name__ == "__main__":
    main()
