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
from conflictmap.geo.gazetteer import load_gazetteer
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


# Reports written for these tests in the shape of monitor, local-network and agency copy: a lead
# with the incident, then the toll, the sources line, quotes, statements, threats, denials,
# demands, recaps of earlier incidents and an analysis line. Only the lead's incident is news.

SOHR_LIKE = (
    "دير الزور: قتل عنصران من قوات سوريا الديمقراطية، فجر اليوم الثلاثاء، جراء هجوم نفذه مسلحون مجهولون على نقطة عسكرية في بلدة الشحيل بريف دير الزور الشرقي.\n"
    "وأفادت مصادر المرصد السوري بأن المهاجمين استهدفوا النقطة بالأسلحة الرشاشة قبل أن يلوذوا بالفرار، فيما استنفرت قسد عناصرها في البلدة.\n"
    "وكانت خلايا تنظيم الدولة قد هاجمت حاجزا لقسد في بلدة ذيبان الأسبوع الماضي، ما أدى إلى مقتل عنصر.\n"
    "وسبق أن استهدف مسلحون مجهولون سيارة عسكرية في بلدة البصيرة، في وقت سابق من الشهر الجاري.\n"
    "ووثق المرصد السوري منذ مطلع العام مقتل 85 عنصرا من قسد في هجمات متفرقة بمناطق دير الزور."
)

LEAD_TOLL_SOURCES_QUOTES = (
    "شنت خلايا تابعة لتنظيم الدولة هجوما مساء الأربعاء على حاجز لقوات سوريا الديمقراطية عند مدخل بلدة هجين بريف دير الزور الشرقي.\n"
    "وأسفر الهجوم على الحاجز عن مقتل ثلاثة عناصر من قسد وإصابة اثنين آخرين، بحسب مصادر محلية.\n"
    'وقالت قسد في بيان إن "عناصرنا تصدوا للهجوم الإرهابي على حاجز هجين وأجبروا المهاجمين على الفرار".\n'
    "من جهته، تبنى تنظيم الدولة عبر معرفاته الهجوم على الحاجز في هجين، وزعم أنه قتل خمسة عناصر.\n"
    "وبعد الهجوم، استقدمت قسد تعزيزات عسكرية إلى البلدة وفرضت طوقا أمنيا حولها.\n"
    "وكان التنظيم قد تبنى هجمات عدة على نقاط لقسد في ريف دير الزور خلال الشهر الماضي."
)

STATEMENTS_AND_SUMMARIES = (
    "تعرضت مواقع الميليشيات الإيرانية في البوكمال لسلسلة غارات جوية خلال الأسابيع الماضية.\n"
    "وتشن طائرات التحالف الدولي غارات متكررة على مواقع الميليشيات في بادية الميادين.\n"
    "وكانت غارات مجهولة قد استهدفت مستودعات أسلحة للميليشيات قرب قرية الهري، الشهر الماضي.\n"
    "وفي حال قيام الميليشيات بهجوم على القواعد الأمريكية، سيرد التحالف بقصف مواقعها في الميادين.\n"
    "ونفت الميليشيات وقوع قتلى في صفوفها جراء الغارات على البوكمال.\n"
    "وتوعد شيوخ العشائر بشن هجمات على مواقع قسد في الشحيل إذا استمر القصف.\n"
    "وطالب وجهاء من عشائر المنطقة بفتح تحقيق في الهجوم على بلدة ذيبان ومحاسبة المسؤولين عنه.\n"
    "واتهمت الحكومة السورية قسد بقصف قرى في ريف دير الزور الغربي.\n"
    "ويرى مراقبون أن التصعيد يهدف إلى الضغط على قسد لتقديم تنازلات في المفاوضات."
)


def test_recaps_of_earlier_incidents_are_not_new_events(gaz) -> None:
    events = extract_article_all(art(SOHR_LIKE, published=date(2024, 9, 10)), gaz)
    assert [(gaz.get(e.place_id).name, e.event_date, e.fatalities) for e in events] == [
        ("Al-Shuhayl", date(2024, 9, 10), 2)
    ]


def test_lead_toll_sources_and_quotes_of_one_attack_make_one_event(gaz) -> None:
    (e,) = extract_article_all(art(LEAD_TOLL_SOURCES_QUOTES, published=date(2024, 10, 3)), gaz)
    assert (e.event_type, e.event_date) == ("battle", date(2024, 10, 2))
    assert gaz.get(e.place_id).name == "Hajin"
    assert {e.actor1, e.actor2} == {"ISIS", "SDF"}
    assert e.fatalities == 3  # the toll line, not the claim of the other side


def test_summaries_conditions_threats_denials_demands_accusations_are_not_events(gaz) -> None:
    assert extract_article_all(art(STATEMENTS_AND_SUMMARIES, published=date(2024, 2, 8)), gaz) == []


def test_framing_recap_and_demand_after_an_assassination(gaz) -> None:
    text = (
        "قتل شاب برصاص مجهولين يوم الثلاثاء في بلدة البصيرة شرقي دير الزور.\n"
        "ويأتي ذلك بعد أيام من اغتيال مختار بلدة الحوايج برصاص مسلحين مجهولين.\n"
        "وكان مسلحون قد اغتالوا في أيلول الماضي عضوا في المجلس المحلي في بلدة الشحيل.\n"
        "ودعا ناشطون قسد إلى ضبط الأمن وملاحقة القتلة."
    )
    (e,) = extract_article_all(art(text, published=date(2024, 10, 3)), gaz)
    assert (e.event_type, e.sub_event_type) == ("violence_against_civilians", "attack")
    assert gaz.get(e.place_id).name == "Al-Busayrah" and e.event_date == date(2024, 10, 1)
    assert "ودعا" not in e.evidence


def test_future_and_quoted_threat_after_a_clash(gaz) -> None:
    text = (
        "تجددت الاشتباكات اليوم بين قوات سوريا الديمقراطية ومقاتلي العشائر في بلدة الشحيل بريف دير الزور الشرقي.\n"
        'وقال المتحدث باسم قسد إن قواته "ستقوم بتطهير المنطقة من المسلحين والخلايا التي هاجمت نقاطنا في البصيرة".\n'
        "ولا يزال التوتر سائدا في البلدة، وسط مخاوف من توسع المعارك إلى بلدة ذيبان."
    )
    events = extract_article_all(art(text, published=date(2023, 8, 30)), gaz)
    assert [gaz.get(e.place_id).name for e in events] == ["Al-Shuhayl"]


def test_outlet_named_after_a_place_and_the_past_days(gaz) -> None:
    text = (
        "انفجرت عبوة ناسفة صباح اليوم الأربعاء بسيارة تقل عناصر من قسد على الطريق العام في بلدة الصبحة شرقي دير الزور.\n"
        "وأسفر الانفجار عن مقتل عنصر وإصابة اثنين آخرين بجروح متفاوتة.\n"
        "وأكدت مصادر دير الزور 24 أن الانفجار وقع أثناء مرور السيارة قرب مدرسة البلدة.\n"
        "وشهدت البلدة خلال الأيام الماضية انفجار عبوتين ناسفتين مماثلتين دون وقوع إصابات."
    )
    (e,) = extract_article_all(art(text, published=date(2024, 5, 15)), gaz)
    assert gaz.get(e.place_id).name == "Al-Sabha"
    assert e.fatalities == 1
    assert "دير الزور 24" in e.evidence  # the sources line joins the event, adds no place


def test_follow_up_without_actor_keeps_the_leads_actor(gaz) -> None:
    text = (
        "قتل مدني وأصيب اثنان آخران، مساء الاثنين، بقصف مدفعي لقوات النظام على بلدة الشحيل شرقي دير الزور.\n"
        "وقال مصدر محلي إن قذائف سقطت على منازل المدنيين في البلدة."
    )
    (e,) = extract_article_all(art(text, published=date(2024, 8, 20)), gaz)
    assert e.actor1 == "Syrian regime forces" and e.fatalities == 1


def test_internal_security_of_the_sdf_is_asayish(gaz) -> None:
    text = "اعتقلت قوات الأمن الداخلي التابعة لقسد، يوم الأربعاء، ثلاثة شبان من أهالي بلدة الكسرة بريف دير الزور الغربي."
    (e,) = extract_article_all(art(text, published=date(2025, 6, 12)), gaz)
    assert (e.sub_event_type, e.actor1) == ("arrest", "Asayish")


def test_deaths_told_first_then_the_attack_that_caused_them(gaz) -> None:
    """ "قتل ... إثر هجوم": the attack after إثر caused the deaths, it is the event (not a framing
    clause); the claim sentence that follows names the village and joins the same incident."""
    text = (
        "قُتل عنصران من قوات سوريا الديمقراطية، فجر أمس الإثنين، إثر هجوم مسلح نفذته خلايا تنظيم داعش في ريف دير الزور. "
        "وتبنى تنظيم داعش عبر معرفاته الهجوم الذي استهدف نقطة عسكرية في بلدة الشحيل شرقي دير الزور."
    )
    events = extract_article(art(text), gaz)
    assert [(e.event_type, gaz.get(e.place_id).name, e.fatalities, e.event_date) for e in events] == [
        ("battle", "Al-Shuhayl", 2, date(2024, 8, 12))
    ]
    assert {events[0].actor1, events[0].actor2} == {"ISIS", "SDF"}


def test_attacks_counted_over_a_week_are_a_tally_not_incidents(gaz) -> None:
    text = (
        "وأعلن التنظيم يوم الأحد الفائت مسؤوليته عن تنفيذ خمس هجمات خلال الأسبوع في محافظات "
        "دير الزور والحسكة والرقة، أسفرت عن مقتل وإصابة ١٢ عنصراً."
    )
    assert extract_article_all(art(text), gaz) == []


def test_a_village_spelt_without_its_initial_alef_after_a_place_word(gaz) -> None:
    """ "بلدة بريهة" is إبريهة (Abriha) written as it is said; the place word makes it safe."""
    text = "استهدف مسلحون مجهولون، مساء أمس، حاجزاً لقوات سوريا الديمقراطية في بلدة بريهة شرقي دير الزور."
    (e,) = extract_article(art(text), gaz)
    assert gaz.get(e.place_id).name == "Abriha" and e.geo_precision == 1
    assert text[e.evidence_start : e.evidence_end] in e.evidence
