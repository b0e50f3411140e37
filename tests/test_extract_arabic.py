"""The Arabic extractor on short reports written for these tests (shaped like local-network,
SOHR and agency copy): the same Event schema and evidence offsets as English, dates against the
publication day, Arabic-Indic digits, attached prefixes on place names, conservative deaths."""

from __future__ import annotations

from datetime import date

import pytest

from conflictmap.extract import EXTRACTOR_VERSION, extract_article, extract_article_all, extractor_for
from conflictmap.extract.arabic.dates import find_dates
from conflictmap.extract.arabic.numbers import fatalities
from conflictmap.extract.arabic.sentences import split_sentences
from conflictmap.extract.arabic.text import fold, fold_with_offsets
from conflictmap.gazetteer import load_gazetteer
from conflictmap.models import Article

PUB = date(2024, 8, 13)  # a Tuesday


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


def art(text: str, published: date | None = PUB, language: str | None = "ar", aid: str = "t") -> Article:
    return Article(aid, None, "test", None, published, text, language)


def test_clash_with_yesterday_and_prefixed_town(gaz) -> None:
    text = "اندلعت اشتباكات عنيفة أمس بين قوات سوريا الديمقراطية ومقاتلي العشائر في بلدة ذيبان بريف دير الزور الشرقي، ما أسفر عن مقتل ٣ عناصر من قسد."
    events = extract_article(art(text), gaz)
    assert len(events) == 1
    e = events[0]
    assert (e.event_type, e.sub_event_type) == ("battle", "armed clash")
    assert e.event_date == date(2024, 8, 12)
    assert e.place_id is not None and gaz.get(e.place_id).name == "Diban"
    assert {e.actor1, e.actor2} == {"SDF", "Arab tribal fighters"}
    assert e.fatalities == 3
    assert text[e.evidence_start : e.evidence_end] in e.evidence
    assert e.extractor_version == EXTRACTOR_VERSION


def test_drone_strike_with_weekday_and_arabic_indic_numbers(gaz) -> None:
    text = "استهدفت طائرة مسيرة مجهولة مساء الأحد سيارة على أطراف مدينة الميادين، ما أدى إلى مقتل شخصين كانا بداخلها.\nوقالت مصادر محلية إن الطائرة حلقت لساعات فوق المنطقة."
    events = extract_article(art(text), gaz)
    assert [(e.event_type, e.sub_event_type) for e in events] == [
        ("explosion_remote_violence", "air/drone strike")
    ]
    e = events[0]
    assert e.event_date == date(2024, 8, 11)
    assert gaz.get(e.place_id).name == "Al-Mayadin" and e.geo_precision == 2
    assert e.actor1 == "Unidentified drone"
    assert e.fatalities == 2


def test_ied_with_calendar_date_in_both_month_names(gaz) -> None:
    text = "انفجرت عبوة ناسفة يوم ٨ آب/أغسطس بدورية لقوى الأمن الداخلي على الطريق قرب بلدة الصبحة، دون وقوع إصابات."
    (e,) = extract_article(art(text), gaz)
    assert (e.event_type, e.sub_event_type) == ("explosion_remote_violence", "remote explosive/landmine/ied")
    assert e.event_date == date(2024, 8, 8)
    assert gaz.get(e.place_id).name == "Al-Sabha"
    assert e.fatalities == 0


def test_arrest_raid_and_regime_date_rule(gaz) -> None:
    before = "داهمت قوات النظام فجر اليوم منازل في حي الجورة واعتقلت خمسة شبان."
    after = "داهمت قوات الأمن العام فجر اليوم منازل في حي الجورة واعتقلت خمسة شبان."
    (e1,) = extract_article(art(before, published=date(2024, 3, 5)), gaz)
    (e2,) = extract_article(art(after, published=date(2025, 3, 5)), gaz)
    assert (e1.event_type, e1.sub_event_type) == ("strategic_development", "arrest")
    assert e1.actor1 == "Syrian regime forces"
    assert e2.actor1 == "Other: Syrian transitional government"
    assert gaz.get(e1.place_id).name == "Al-Joura"


def test_protest_in_the_city(gaz) -> None:
    text = "خرج العشرات من أهالي مدينة البصيرة يوم الجمعة في مظاهرة للمطالبة بالإفراج عن المعتقلين."
    (e,) = extract_article(art(text, published=date(2024, 8, 16)), gaz)
    assert (e.event_type, e.sub_event_type) == ("protest", "peaceful protest")
    assert e.event_date == date(2024, 8, 16)
    assert gaz.get(e.place_id).name == "Al-Busayrah"


def test_background_threat_and_denial_are_not_events(gaz) -> None:
    text = (
        "وكانت المنطقة قد شهدت اشتباكات متكررة خلال العام الماضي.\n"
        "وهددت قوات النظام بقصف بلدة هجين إذا لم ينسحب المسلحون.\n"
        "ونفت قسد اعتقال أي مدني في بلدة الشحيل."
    )
    assert extract_article_all(art(text), gaz) == []


def test_casualties_mixed_vague_and_singular() -> None:
    assert fatalities(fold("أسفر القصف عن سقوط قتلى وجرحى")) == (None, True)
    assert fatalities(fold("مقتل عشرات العناصر")) == (None, True)
    assert fatalities(fold("مقتل شاب برصاص مجهولين")) == (1, True)
    assert fatalities(fold("سقوط خمسة وعشرين قتيلا")) == (25, True)
    assert fatalities(fold("إصابة ثلاثة مدنيين بجروح")) == (None, False)


def test_dates_resolve_against_publication() -> None:
    def day(phrase: str) -> date | None:
        hits = find_dates(fold(phrase), PUB)
        return hits[0].day if hits else None

    assert day("فجر اليوم") == PUB
    assert day("مساء أمس") == date(2024, 8, 12)
    assert day("الخميس الماضي") == date(2024, 8, 8)
    assert day("في ٣ كانون الثاني") == date(2024, 1, 3)
    assert day("في 20 كانون الأول") == date(2023, 12, 20)  # a day after publication: the year before
    assert find_dates(fold("خلال الأسبوع الماضي"), PUB)[0].precision == "week"


def test_sentences_split_on_arabic_punctuation_and_keep_offsets() -> None:
    text = "قُصفت البلدة؛ وقُتل رجل؟ نعم قُتل رجل في الصباح الباكر. ثم هدأ الوضع تماماً بعد الظهر."
    sents = split_sentences(text, fold_with_offsets(text))
    assert len(sents) >= 3
    assert all(text[s.sentence.start : s.sentence.end] == s.sentence.text for s in sents)


def test_language_routes_the_article() -> None:
    assert extractor_for(art("نص عربي عن قصف", language=None)) == "ar"
    assert extractor_for(art("Shelling in Hajin", language=None)) == "en"
    assert extractor_for(art("Shelling in Hajin", language="en")) == "en"
    assert extractor_for(art("Bombardement à Hajin", language="fr")) is None


def test_unknown_language_yields_no_events(gaz) -> None:
    assert extract_article(art("Regime forces shelled Hajin on Monday.", language="fr"), gaz) == []


def test_scanner_finds_what_finditer_finds() -> None:
    """The one-pass trigger and actor search gives each rule's ``finditer`` matches exactly,
    prefixes, articles, suffixes and overlapping rules included."""
    from conflictmap.extract.arabic.tables import actor_rules, actor_scanner, trigger_rules, trigger_scanner

    text = fold(
        "وأفادت مصادر محلية باندلاع اشتباكات بين قسد ومسلحين من العشائر، وبالقصف المدفعي على "
        "الأحياء، واستهدفت الطائرات المسيرة الأمريكية مواقع للميليشيات الإيرانية، فيما اعتقلت "
        "قوات الأسايش شابين واقتادتهما إلى جهة مجهولة، وقتلى وجرحى من عناصر ب ك ك وللتحالف الدولي."
    )
    for rules, scanner in ((trigger_rules(), trigger_scanner()), (actor_rules(), actor_scanner())):
        fast = [[m.span() for m in found] for found in scanner.scan(text)]
        slow = [[m.span() for m in r.pattern.finditer(text)] for r in rules]
        assert fast == slow
        assert sum(map(len, fast)) >= 5
