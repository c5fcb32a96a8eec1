//! Pure rendering: Discord limits hold for any input (fixed oversized cases and
//! property-style random inputs), highlights and citations render as documented.

use rolefaq::discord::render::{self, limits, PageInfo, Reply};
use rolefaq::model::*;
use std::collections::BTreeMap;

fn check_limits(r: &Reply) {
    if let Some(c) = &r.content {
        assert!(c.chars().count() <= limits::CONTENT);
    }
    assert!(r.content.is_some() || !r.embeds.is_empty(), "empty message");
    assert!(r.embeds.len() <= limits::EMBEDS);
    for e in &r.embeds {
        let n = |s: &Option<String>| s.as_deref().map_or(0, |s| s.chars().count());
        assert!(n(&e.title) <= limits::EMBED_TITLE, "title {}", n(&e.title));
        assert!(n(&e.description) <= limits::EMBED_DESCRIPTION);
        assert!(n(&e.footer) <= limits::FOOTER);
        assert!(e.fields.len() <= limits::FIELDS);
        for f in &e.fields {
            assert!(!f.name.trim().is_empty() && !f.value.trim().is_empty());
            assert!(f.name.chars().count() <= limits::FIELD_NAME);
            assert!(f.value.chars().count() <= limits::FIELD_VALUE);
        }
    }
    assert!(
        r.embed_chars() <= limits::EMBED_TOTAL,
        "total {}",
        r.embed_chars()
    );
    assert!(r.buttons.len() <= limits::BUTTONS_PER_ROW);
    for b in &r.buttons {
        assert!(b.custom_id.chars().count() <= limits::CUSTOM_ID);
        assert!(b.label.chars().count() <= limits::BUTTON_LABEL);
    }
}

/// Number of unescaped `**` markers (must be even: bold is balanced).
fn bold_markers(s: &str) -> usize {
    let cs: Vec<char> = s.chars().collect();
    let (mut i, mut n) = (0, 0);
    while i < cs.len() {
        if cs[i] == '\\' {
            i += 2;
        } else if cs[i] == '*' && cs.get(i + 1) == Some(&'*') {
            n += 1;
            i += 2;
        } else {
            i += 1;
        }
    }
    n
}

fn fresh() -> Freshness {
    Freshness {
        built_at: "2026-01-01T00:00:00Z".into(),
        documents: 5,
        passages: 120,
        stale: false,
    }
}

fn hit(
    rank: usize,
    text: &str,
    best: &str,
    highlights: Vec<(usize, usize)>,
    url: Option<&str>,
) -> Hit {
    Hit {
        rank,
        score: 1.0,
        doc: "doc".into(),
        title: "CIO vs CTO".into(),
        section: Some("Security".into()),
        location: "¶3".into(),
        text: text.into(),
        best: best.into(),
        context: None,
        items: Vec::new(),
        more_items: 0,
        highlights,
        citation: "CIO vs CTO › Security, ¶3".into(),
        url: url.map(String::from),
        passage_id: format!("doc#{rank}"),
    }
}

fn answer(query: &str, results: Vec<Hit>) -> Answer {
    let total = results.len() + 3;
    Answer {
        query: query.into(),
        results,
        no_answer: false,
        verdict: None,
        suggestion: None,
        total,
        decision: None,
    }
}

const PAGE: PageInfo = PageInfo {
    offset: 0,
    page_size: 3,
};

#[test]
fn answer_embed_has_question_title_cited_passages_bold_highlights_and_footer() {
    let best = "The CIO owns cybersecurity posture.";
    let a = answer(
        "Who owns security?",
        vec![hit(
            1,
            "whole passage",
            best,
            vec![(4, 7), (13, 26)],
            Some("https://example.org/a"),
        )],
    );
    let r = render::answer(&a, &fresh(), PAGE);
    check_limits(&r);
    let e = &r.embeds[0];
    assert_eq!(e.title.as_deref(), Some("Who owns security?"));
    let d = e.description.as_deref().unwrap();
    assert!(
        d.contains("The **CIO** owns **cybersecurity** posture."),
        "{d}"
    );
    assert!(
        d.contains("[CIO vs CTO › Security, ¶3](https://example.org/a)"),
        "{d}"
    );
    let f = e.footer.as_deref().unwrap();
    assert!(
        f.contains("5 documents") && f.contains("120 passages"),
        "{f}"
    );
    // The build time is the embed's timestamp (Discord localises it), not raw text.
    assert!(!f.contains("2026-01-01"), "{f}");
    assert_eq!(e.timestamp.as_deref(), Some("2026-01-01T00:00:00Z"));
    assert!(f.starts_with("Results 1–1 of 4"), "{f}");
}

#[test]
fn freshness_is_the_embed_timestamp_on_every_answer_kind_and_raw_text_only_when_unparsable() {
    let f = fresh();
    let list = vec![SourceInfo {
        id: "doc".into(),
        title: "Doc".into(),
        url: None,
        passages: 3,
    }];
    let r = render::sources(&list, &f, 0, Some(9));
    assert_eq!(
        r.embeds[0].timestamp.as_deref(),
        Some("2026-01-01T00:00:00Z")
    );
    let odd = Freshness {
        built_at: "yesterday".into(),
        ..fresh()
    };
    let r = render::sources(&list, &odd, 0, Some(9));
    assert_eq!(r.embeds[0].timestamp, None);
    assert!(
        r.embeds[0].footer.as_deref().unwrap().contains("yesterday"),
        "an unparsable time stays readable"
    );
}

#[test]
fn sources_buttons_name_their_owner_and_delete_names_the_asker() {
    let list: Vec<SourceInfo> = (0..25)
        .map(|k| SourceInfo {
            id: format!("doc-{k}"),
            title: format!("Doc {k}"),
            url: None,
            passages: 1,
        })
        .collect();
    let r = render::sources(&list, &fresh(), 1, Some(42));
    let ids: Vec<&str> = r.buttons.iter().map(|b| b.custom_id.as_str()).collect();
    assert_eq!(ids, ["rf:src:0:42", "rf:src:2:42"]);
    assert!(ids.iter().all(|i| i.len() <= limits::CUSTOM_ID));
    let d = render::delete_button(u64::MAX);
    assert_eq!(d.custom_id, format!("rf:del:{}", u64::MAX));
    assert!(d.custom_id.len() <= limits::CUSTOM_ID);
}

#[test]
fn link_targets_cannot_break_out_of_the_markdown_link() {
    let a = answer(
        "q",
        vec![hit(1, "t", "b", vec![], Some("https://e.org/a_(b) c*"))],
    );
    let d = render::answer(&a, &fresh(), PAGE).embeds[0]
        .description
        .clone()
        .unwrap();
    assert!(d.contains("](https://e.org/a_%28b%29%20c%2A)"), "{d}");
    let mut h = hit(1, "t", "b", vec![], None);
    h.citation = "  ".into();
    let d = render::answer(&answer("q", vec![h]), &fresh(), PAGE).embeds[0]
        .description
        .clone()
        .unwrap();
    assert!(d.contains("— *source*"), "{d}");
}

#[test]
fn falls_back_to_text_without_best_and_shows_verdict() {
    let mut a = answer(
        "q",
        vec![hit(1, "The CTO leads engineering.", "", vec![], None)],
    );
    a.verdict = Some(Verdict {
        summary: "Mostly the CTO (1 source)".into(),
        shares: vec![],
        disagreement: false,
    });
    let d = render::answer(&a, &fresh(), PAGE).embeds[0]
        .description
        .clone()
        .unwrap();
    assert!(d.contains("The CTO leads engineering."));
    assert!(d.contains("**Verdict:** Mostly the CTO (1 source)"));
    assert!(
        d.contains("*CIO vs CTO › Security, ¶3*"),
        "no url → plain citation: {d}"
    );
}

#[test]
fn no_answer_is_clear_and_carries_the_suggestion() {
    let a = Answer {
        query: "what is the airspeed of a swallow".into(),
        results: vec![],
        no_answer: true,
        verdict: None,
        suggestion: Some("The corpus covers CIO and CTO roles.".into()),
        decision: None,
        total: 0,
    };
    let r = render::answer(&a, &fresh(), PAGE);
    let d = r.embeds[0].description.as_deref().unwrap();
    assert!(
        d.contains("no answer") && d.contains("The corpus covers CIO and CTO roles."),
        "{d}"
    );
    assert!(!render::has_more(&a, PAGE));
}

#[test]
fn a_page_past_the_end_of_an_answer_is_never_shown_as_no_answer() {
    let a = Answer {
        query: "who owns security?".into(),
        results: vec![],
        no_answer: false,
        verdict: None,
        suggestion: None,
        decision: None,
        total: 7,
    };
    let page = PageInfo {
        offset: 9,
        page_size: 3,
    };
    let r = render::answer(&a, &fresh(), page);
    check_limits(&r);
    let d = r.embeds[0].description.as_deref().unwrap();
    assert!(!d.contains("no answer"), "{d}");
    assert!(d.contains("No more results: all 7"), "{d}");
    assert!(!render::has_more(&a, page));
}

#[test]
fn a_list_item_comes_after_its_lead_in_and_a_long_lead_in_leaves_room_for_it() {
    let mut item = hit(
        1,
        "Overseeing information security",
        "Overseeing information security",
        vec![(11, 22)],
        None,
    );
    item.context = Some("CIOs commonly handle responsibilities such as:".into());
    let r = render::answer(
        &answer("who owns security?", vec![item.clone()]),
        &fresh(),
        PAGE,
    );
    check_limits(&r);
    let d = r.embeds[0].description.as_deref().unwrap();
    assert!(
        d.contains(
            "CIOs commonly handle responsibilities such as:\n• Overseeing **information** security"
        ),
        "{d}"
    );
    // a lead-in of any length and script: the item still shows, every limit holds
    item.context = Some("Ünïcødé **lead** _in_ 😀 ".repeat(500));
    let hits: Vec<Hit> = (1..=10)
        .map(|k| Hit {
            rank: k,
            ..item.clone()
        })
        .collect();
    let r = render::answer(&answer("who owns security?", hits), &fresh(), PAGE);
    check_limits(&r);
    let d = r.embeds[0].description.as_deref().unwrap();
    assert!(d.contains("• Overseeing"), "{d}");
    assert_eq!(bold_markers(d) % 2, 0, "{d}");
}

#[test]
fn a_lead_in_shows_the_items_of_its_list_and_a_list_too_long_ends_in_an_ellipsis() {
    let mut lead = hit(
        1,
        "CIOs commonly handle responsibilities such as:",
        "CIOs commonly handle responsibilities such as:",
        vec![(21, 37)],
        None,
    );
    lead.items = vec![
        "Managing enterprise IT infrastructure".into(),
        "Overseeing *information* security".into(),
    ];
    let r = render::answer(&answer("cio duties", vec![lead.clone()]), &fresh(), PAGE);
    check_limits(&r);
    let d = r.embeds[0].description.as_deref().unwrap();
    assert!(
        d.contains(
            "CIOs commonly handle **responsibilities** such as:\n• Managing enterprise IT infrastructure\n• Overseeing \\*information\\* security"
        ),
        "every item, escaped, after the lead-in: {d}"
    );
    assert!(!d.contains('…'), "a short list is whole: {d}");
    // more items than fit, of any script, on a full page: the first ones, then "…"
    lead.items = (0..40)
        .map(|i| format!("Ünïcødé item {i} 😀 ").repeat(20))
        .collect();
    lead.more_items = 3;
    let hits: Vec<Hit> = (1..=10)
        .map(|k| Hit {
            rank: k,
            ..lead.clone()
        })
        .collect();
    let r = render::answer(&answer("cio duties", hits), &fresh(), PAGE);
    check_limits(&r);
    let d = r.embeds[0].description.as_deref().unwrap();
    assert!(d.contains("\n• Ünïcødé item 0"), "{d}");
    assert!(d.contains("\n• …"), "{d}");
    assert!(!d.contains("item 39"), "{d}");
    assert_eq!(bold_markers(d) % 2, 0, "{d}");
}

#[test]
fn oversized_question_and_passages_fit_every_limit() {
    let q = "Ünïcødé 🚀 question ".repeat(400);
    let long = "Lorem ipsum dolor sit amet, **bold** _x_ [link](y) ✓ 😀 ".repeat(300);
    let hl: Vec<(usize, usize)> = (0..200).map(|k| (k * 7, k * 7 + 5)).collect();
    let hits = (1..=10)
        .map(|k| {
            hit(
                k,
                &long,
                &long,
                hl.clone(),
                Some(&format!("https://example.org/{}", "p".repeat(600))),
            )
        })
        .collect();
    let r = render::answer(&answer(&q, hits), &fresh(), PAGE);
    check_limits(&r);
    let t = r.embeds[0].title.as_deref().unwrap();
    assert_eq!(t.chars().count(), 256);
    assert!(t.ends_with('…'));
    assert_eq!(
        bold_markers(r.embeds[0].description.as_deref().unwrap()) % 2,
        0
    );
}

fn row(aspect: &str, quote: &str, disagree: bool) -> ComparisonRow {
    let q = |role: &str| Quote {
        text: format!("{role}: {quote}"),
        doc: "d".into(),
        citation: format!("Doc {aspect} › {role}, ¶1"),
        passage_id: format!("d#{aspect}-{role}"),
    };
    ComparisonRow {
        aspect: aspect.into(),
        cells: BTreeMap::from([
            ("CIO".into(), vec![q("CIO")]),
            ("CTO".into(), vec![q("CTO")]),
        ]),
        disagreement: disagree.then(|| Disagreement {
            summary: format!("sources split on {aspect}"),
            sides: BTreeMap::new(),
        }),
    }
}

#[test]
fn comparison_has_one_field_per_aspect_with_both_roles_and_disagreement() {
    let c = Comparison {
        roles: ["CIO".into(), "CTO".into()],
        rows: vec![
            row("Reporting line", "reports to the CEO", false),
            row("Security", "owns security", true),
        ],
    };
    let r = render::comparison(&c, &fresh());
    check_limits(&r);
    let e = &r.embeds[0];
    assert_eq!(e.title.as_deref(), Some("CIO vs CTO"));
    assert_eq!(e.fields.len(), 2);
    assert_eq!(e.fields[0].name, "Reporting line");
    assert!(
        e.fields[0]
            .value
            .contains("**CIO:** “CIO: reports to the CEO” [1]"),
        "{}",
        e.fields[0].value
    );
    assert!(e.fields[0].value.contains("**CTO:**"));
    assert!(e.fields[1]
        .value
        .contains("⚠ sources disagree: sources split on Security"));
    assert!(!e.fields[0].value.contains("⚠"));
    let d = e.description.as_deref().unwrap();
    assert!(d.contains("[1] Doc Reporting line › CIO, ¶1"), "{d}");
    assert!(d.contains("[4]"), "{d}");
}

#[test]
fn huge_comparison_fits_every_limit() {
    let c = Comparison {
        roles: ["CIO".repeat(50), "CTO".repeat(50)],
        rows: (0..60)
            .map(|k| {
                let mut r = row(
                    &format!("aspect {k} {}", "x".repeat(400)),
                    &"long quote ".repeat(300),
                    k % 2 == 0,
                );
                let a = r.cells.remove("CIO").unwrap();
                let b = r.cells.remove("CTO").unwrap();
                r.cells.insert("CIO".repeat(50), a);
                r.cells.insert("CTO".repeat(50), b);
                r
            })
            .collect(),
    };
    let r = render::comparison(&c, &fresh());
    check_limits(&r);
    assert!(r.embeds[0].fields.len() <= 25);
    assert!(r.embeds[0]
        .footer
        .as_deref()
        .unwrap()
        .contains("more aspect"));
}

#[test]
fn sources_help_report_and_refusals_fit() {
    let list: Vec<SourceInfo> = (0..1000)
        .map(|k| SourceInfo {
            id: format!("doc-{k}-{}", "i".repeat(300)),
            title: "T".repeat(3000),
            url: Some(format!("https://example.org/{k}")),
            passages: k,
        })
        .collect();
    for page in [0, 1, 50, 99, 5000] {
        let r = render::sources(&list, &fresh(), page, Some(1));
        check_limits(&r);
    }
    assert_eq!(render::source_pages(1000), 100);
    check_limits(&render::sources(&[], &fresh(), 0, None));
    check_limits(&render::help(3, 5));
    let report = IndexReport {
        documents: 9,
        passages: 99,
        added: (0..5000)
            .map(|k| format!("added-{k}-{}", "a".repeat(50)))
            .collect(),
        removed: vec!["old".into()],
        changed: vec![],
        skipped: (0..100)
            .map(|k| Skipped {
                path: format!("p{k}"),
                reason: "r".repeat(500),
            })
            .collect(),
        dropped: vec![],
        elapsed_ms: 1234,
        built_at: "now".into(),
        embeddings: false,
        vectors: Default::default(),
    };
    let r = render::index_report(&report);
    check_limits(&r);
    assert!(r.embeds[0].fields.iter().any(|f| f.name == "Added (5000)"));
    assert!(r.embeds[0].fields.iter().any(|f| f.value.contains("old")));
    let r = render::refusal(&"x".repeat(10_000));
    check_limits(&r);
    assert!(r.ephemeral);
    check_limits(&Reply::text("y".repeat(5000)));
}

#[test]
fn autocomplete_choices_are_filtered_and_bounded() {
    let all: Vec<String> = (0..100)
        .map(|k| format!("Chief {k} {}", "o".repeat(200)))
        .chain(["CIO".into(), "CTO".into(), "cISO".into()])
        .collect();
    let c = render::choices(&all, "ci");
    assert_eq!(c[0], "CIO");
    assert!(c.contains(&"cISO".to_string()));
    assert!(!c.contains(&"CTO".to_string()));
    let c = render::choices(&all, "");
    assert_eq!(c.len(), 25);
    assert!(c.iter().all(|s| s.chars().count() <= 100));
}

#[test]
fn truncate_respects_char_boundaries() {
    assert_eq!(render::truncate("héllo", 10), "héllo");
    assert_eq!(render::truncate("héllo wörld", 5), "héll…");
    assert_eq!(render::truncate("😀😀😀", 2), "😀…");
    assert_eq!(render::truncate("abc", 0), "");
}

/// Property-style: random strings (multi-byte, markdown characters, emoji) and random
/// highlight ranges never break a limit, never panic, and keep bold balanced.
#[test]
fn random_inputs_always_fit() {
    let alphabet: Vec<char> = "aZ09 *_~`|>[]()#\\\n…é漢😀\u{301}".chars().collect();
    let mut rng = fastrand::Rng::with_seed(0x5eed_1234);
    let s = |rng: &mut fastrand::Rng, max: usize| -> String {
        let n = rng.usize(0..max);
        (0..n)
            .map(|_| alphabet[rng.usize(0..alphabet.len())])
            .collect()
    };
    for _ in 0..300 {
        let q = s(&mut rng, 3000);
        let hits: Vec<Hit> = (0..rng.usize(0..12))
            .map(|k| {
                let best = s(&mut rng, 4000);
                let hl = (0..rng.usize(0..20))
                    .map(|_| {
                        let a = rng.usize(0..best.len() + 3);
                        (a, a + rng.usize(0..40))
                    })
                    .collect();
                let mut h = hit(k + 1, &s(&mut rng, 3000), &best, hl, None);
                h.citation = s(&mut rng, 600);
                if rng.bool() {
                    h.url = Some(format!(
                        "https://e.org/{}",
                        s(&mut rng, 50).replace(char::is_whitespace, "")
                    ));
                }
                h
            })
            .collect();
        let mut a = answer(&q, hits);
        if rng.bool() {
            a.verdict = Some(Verdict {
                summary: s(&mut rng, 2000),
                shares: vec![],
                disagreement: rng.bool(),
            });
        }
        let r = render::answer(
            &a,
            &fresh(),
            PageInfo {
                offset: rng.usize(0..100),
                page_size: 3,
            },
        );
        check_limits(&r);
        if let Some(d) = r.embeds[0].description.as_deref() {
            if bold_markers(d) & 1 == 1 {
                let cs: Vec<char> = d.chars().collect();
                let (mut i, mut ctx) = (0, Vec::new());
                while i < cs.len() {
                    if cs[i] == '\\' {
                        i += 2;
                    } else if cs[i] == '*' && cs.get(i + 1) == Some(&'*') {
                        ctx.push(
                            cs[i.saturating_sub(12)..(i + 14).min(cs.len())]
                                .iter()
                                .collect::<String>(),
                        );
                        i += 2;
                    } else {
                        i += 1;
                    }
                }
                panic!("unbalanced bold: {ctx:#?}");
            }
        }
        let c = Comparison {
            roles: [s(&mut rng, 300), s(&mut rng, 300)],
            rows: (0..rng.usize(0..40))
                .map(|_| row(&s(&mut rng, 400), &s(&mut rng, 3000), rng.bool()))
                .collect(),
        };
        check_limits(&render::comparison(&c, &fresh()));
        let names: Vec<String> = (0..rng.usize(0..60)).map(|_| s(&mut rng, 300)).collect();
        let typed = s(&mut rng, 3);
        let ch = render::choices(&names, &typed);
        assert!(ch.len() <= 25 && ch.iter().all(|c| c.chars().count() <= 100));
    }
}

/// Invariant: only `src/discord/` imports serenity.
#[test]
fn serenity_is_only_used_under_src_discord() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    assert!(files.len() > 5);
    for f in files {
        if f.starts_with(src.join("discord")) {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(
            !text.contains("serenity"),
            "{} mentions serenity",
            f.display()
        );
    }
}
