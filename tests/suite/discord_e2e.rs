//! End to end: the bot (real `Service` over the repo's corpus) against a fake Discord
//! on 127.0.0.1 that follows Discord's documented REST and gateway payloads.

use crate::support;

use rolefaq::service::AskOptions;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;
use support::fake_discord::*;
use support::harness::*;

const ASKER: u64 = 400_000_000_000_000_111;
const OTHER: u64 = 400_000_000_000_000_222;
const QUESTION: &str = "Who is responsible for cybersecurity?";

fn embed(r: &Request) -> Value {
    r.embeds().first().cloned().unwrap_or(Value::Null)
}

fn text(v: &Value, ptr: &str) -> String {
    v.pointer(ptr)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

async fn ask(h: &Harness, question: &str, user: u64, private: bool) -> (Value, Vec<Request>) {
    let mut opts = vec![("question", 3, json!(question))];
    if private {
        opts.push(("private", 5, json!(true)));
    }
    let i = h.fake.command("ask", &opts, user, &[], 0);
    h.fake.dispatch(&i);
    let reqs = answered(h, &i).await;
    (i, reqs)
}

/// The requests answering interaction `i`: its initial response and, when that was a
/// deferral, what followed it (the edit, or the deletion and the follow-up).
async fn answered(h: &Harness, i: &Value) -> Vec<Request> {
    let r = h.fake.wait_for_interaction(i, 1, WAIT).await.unwrap();
    if r[0].callback_type() != Some(5) {
        return r;
    }
    let r = h.fake.wait_for_interaction(i, 2, WAIT).await.unwrap();
    if r[1].is_delete_original() {
        return h.fake.wait_for_interaction(i, 3, WAIT).await.unwrap();
    }
    r
}

/// The request carrying the answer: the initial response (type 4) or the edit after a
/// deferral.
fn answer_msg(reqs: &[Request]) -> &Request {
    reqs.iter()
        .find(|r| r.callback_type() == Some(4) || r.is_edit_original())
        .unwrap_or_else(|| panic!("not answered: {reqs:#?}"))
}

/// Answered (not refused): a public answer with an embed titled like a question.
fn assert_answered(reqs: &[Request]) {
    let a = answer_msg(reqs);
    assert!(!a.is_ephemeral() || reqs[0].is_ephemeral(), "{a:?}");
    assert!(!a.embeds().is_empty(), "{a:?}");
    assert!(!reqs.iter().any(|r| r.is_followup()), "{reqs:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registers_documented_command_payloads_without_privileged_intents() {
    let h = Harness::start(|_| {}).await;
    let puts = h
        .fake
        .wait_for(1, WAIT, |r| r.method == "PUT")
        .await
        .unwrap();
    assert_eq!(
        puts[0].path,
        format!("/api/v10/applications/{APP_ID}/guilds/{GUILD_ID}/commands")
    );
    assert_eq!(
        puts[0].authorization.as_deref(),
        Some(format!("Bot {TOKEN}").as_str())
    );
    let cmds = puts[0].body.as_array().unwrap();
    let by_name: HashMap<&str, &Value> = cmds
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c))
        .collect();
    let mut names: Vec<&str> = by_name.keys().copied().collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "Ask rolefaq",
            "ask",
            "compare",
            "gaps",
            "help",
            "reindex",
            "sources"
        ]
    );
    for c in cmds {
        // Server install only; a guild command is usable in its server (context 0).
        assert_eq!(c["integration_types"], json!([0]), "{c}");
        assert_eq!(c["contexts"], json!([0]), "{c}");
        if c["name"] == "Ask rolefaq" {
            // A message context-menu command: no description, no options.
            assert_eq!(c["type"], json!(3), "{c}");
            assert!(c.get("description").is_none_or(|d| d == ""), "{c}");
            assert!(c["options"].as_array().is_none_or(Vec::is_empty), "{c}");
            continue;
        }
        let d = c["description"].as_str().unwrap();
        assert!(!d.is_empty() && d.chars().count() <= 100, "{c}");
        assert_eq!(c["type"], json!(1), "chat input command: {c}");
        // Localised (English is the default), within Discord's rules.
        let names = c["name_localizations"]
            .as_object()
            .expect("localised names");
        assert!(names.contains_key("fr") && names.contains_key("de"), "{c}");
        for n in names.values() {
            let n = n.as_str().unwrap();
            assert!(
                (1..=32).contains(&n.chars().count())
                    && n == n.to_lowercase()
                    && n.chars()
                        .all(|ch| ch.is_alphanumeric() || ch == '-' || ch == '_'),
                "{n}"
            );
        }
        for d in c["description_localizations"].as_object().unwrap().values() {
            assert!(
                (1..=100).contains(&d.as_str().unwrap().chars().count()),
                "{d}"
            );
        }
    }
    let ask = by_name["ask"];
    assert_eq!(ask["options"][0]["name"], "question");
    assert_eq!(ask["options"][0]["type"], 3);
    assert_eq!(ask["options"][0]["required"], true);
    assert_eq!(ask["options"][0]["max_length"], 1000);
    assert_eq!(ask["options"][1]["name"], "private");
    assert_eq!(ask["options"][1]["type"], 5);
    let compare = by_name["compare"]["options"].as_array().unwrap();
    let opt_names: Vec<&str> = compare
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(opt_names, ["role_a", "role_b", "aspect"]);
    for o in compare {
        assert_eq!(o["type"], 3);
        assert_eq!(o["autocomplete"], true, "{o}");
    }
    assert_eq!(compare[0]["required"], true);
    assert_eq!(compare[1]["required"], true);
    assert_ne!(compare[2]["required"], true);
    assert_eq!(by_name["reindex"]["default_member_permissions"], "8");
    assert_eq!(by_name["gaps"]["default_member_permissions"], "8");
    assert_eq!(by_name["gaps"]["options"][0]["name"], "days");
    assert_eq!(by_name["gaps"]["options"][0]["type"], 4);
    assert!(by_name["ask"]
        .get("default_member_permissions")
        .is_none_or(Value::is_null));

    let ids = h.fake.identifies();
    assert_eq!(ids.len(), 1);
    let intents = ids[0]["intents"].as_u64().unwrap();
    assert_eq!(
        intents & PRIVILEGED_INTENTS,
        0,
        "privileged intents requested: {intents}"
    );
    // GUILD_MESSAGES (1 << 9) and DIRECT_MESSAGES (1 << 12) for @mentions and DMs.
    assert_eq!(intents, (1 << 9) | (1 << 12), "{intents}");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registers_globally_without_guild_ids() {
    let h = Harness::start(|s| s.discord.guild_ids.clear()).await;
    let puts = h
        .fake
        .wait_for(1, WAIT, |r| r.method == "PUT")
        .await
        .unwrap();
    assert_eq!(
        puts[0].path,
        format!("/api/v10/applications/{APP_ID}/commands")
    );
    let cmds = puts[0].body.as_array().unwrap();
    assert_eq!(cmds.len(), 7);
    for c in cmds {
        assert_eq!(c["integration_types"], json!([0]), "{c}");
        let contexts = if c["name"] == "reindex" || c["name"] == "gaps" {
            // No admin_user_ids: /reindex is not offered in DMs.
            json!([0])
        } else {
            json!([0, 1])
        };
        assert_eq!(c["contexts"], contexts, "{c}");
    }
    h.stop().await;

    // With admin users configured, /reindex is offered in DMs with the bot too.
    let h = Harness::start(|s| {
        s.discord.guild_ids.clear();
        s.discord.admin_user_ids = vec![ASKER];
    })
    .await;
    let puts = h
        .fake
        .wait_for(1, WAIT, |r| r.method == "PUT")
        .await
        .unwrap();
    let reindex = puts[0]
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "reindex")
        .cloned()
        .unwrap();
    assert_eq!(reindex["contexts"], json!([0, 1]));
    assert_eq!(reindex["default_member_permissions"], "8");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fast_answer_is_the_initial_response_with_cited_embed_and_timestamp() {
    let h = Harness::start(|_| {}).await;
    let svc = h.service();
    let expected = svc.ask(QUESTION, AskOptions { top: 2, offset: 0 }).unwrap();
    assert!(!expected.no_answer, "the corpus should answer {QUESTION}");
    let fresh = svc.freshness();

    let (i, reqs) = ask(&h, QUESTION, ASKER, false).await;
    assert!(reqs[0].is_callback(), "{:?}", reqs[0]);
    assert_eq!(
        reqs[0].callback_type(),
        Some(4),
        "answered in the initial response"
    );
    assert!(!reqs[0].is_ephemeral());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let calls = h
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.token() == i["token"].as_str())
        .count();
    assert_eq!(calls, 1, "one request for the whole answer");
    let e = embed(&reqs[0]);
    assert_eq!(text(&e, "/title"), QUESTION);
    let d = text(&e, "/description");
    assert!(
        d.contains(&expected.results[0].title),
        "citation title missing: {d}"
    );
    assert!(d.contains('¶'), "paragraph location missing: {d}");
    assert!(d.contains("**1.**"), "numbered: {d}");
    let footer = text(&e, "/footer/text");
    assert!(!footer.contains(&fresh.built_at), "no raw time: {footer}");
    let stamp = text(&e, "/timestamp");
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(&stamp).map(|t| t.timestamp()),
        chrono::DateTime::parse_from_rfc3339(&fresh.built_at).map(|t| t.timestamp()),
        "embed timestamp {stamp:?} is the build time {}",
        fresh.built_at
    );
    assert!(
        footer.contains(&format!("{} documents", fresh.documents)),
        "{footer}"
    );
    assert!(
        footer.contains(&format!("{} passages", fresh.passages)),
        "{footer}"
    );
    h.stop().await;
}

/// How many results the service has for `question` (what paging runs over).
fn results_of(h: &Harness, question: &str) -> usize {
    h.service()
        .ask(question, AskOptions { top: 2, offset: 0 })
        .unwrap()
        .total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_results_pages_for_the_asker_and_refuses_others() {
    let h = Harness::start(|_| {}).await;
    let total = results_of(&h, QUESTION);
    assert!(total > 2, "precondition: more than one page ({total})");

    let (i, reqs) = ask(&h, QUESTION, ASKER, false).await;
    let edit = answer_msg(&reqs);
    let more = edit
        .custom_ids()
        .into_iter()
        .find(|c| c.starts_with("rf:more:"))
        .expect("More results button");
    assert!(more.len() <= 100);
    let message = h.fake.message_from(&edit.body, Some(&i));

    // Someone else: ephemeral refusal, nothing edited.
    let c = h.fake.click(&more, &message, OTHER);
    h.fake.dispatch(&c);
    let r = h.fake.wait_for_interaction(&c, 1, WAIT).await.unwrap();
    assert_eq!(r[0].callback_type(), Some(4));
    assert!(
        r[0].is_ephemeral(),
        "refusal must be ephemeral: {:?}",
        r[0].body
    );
    assert!(text(&embed(&r[0]), "/description").contains("Only the person who asked"));

    // The asker: deferred update, then page 2 in the same message.
    let c = h.fake.click(&more, &message, ASKER);
    h.fake.dispatch(&c);
    let r = h.fake.wait_for_interaction(&c, 2, WAIT).await.unwrap();
    assert_eq!(r[0].body, json!({"type": 6}));
    let page2 = r.iter().find(|r| r.is_edit_original()).unwrap();
    let e = embed(page2);
    assert_eq!(text(&e, "/title"), QUESTION);
    assert!(text(&e, "/description").contains("**3.**"), "{e}");
    assert!(text(&e, "/footer/text").starts_with("Results 3–"), "{e}");
    if total > 4 {
        // Page 2's own button pages on again.
        let message = h.fake.message_from(&page2.body, Some(&i));
        let more2 = more_button(page2).expect("More results on page 2");
        assert_ne!(more2, more, "each button names the page it shows");
        let c2 = h.fake.click(&more2, &message, ASKER);
        h.fake.dispatch(&c2);
        let r = h.fake.wait_for_interaction(&c2, 2, WAIT).await.unwrap();
        let e = embed(r.iter().find(|r| r.is_edit_original()).unwrap());
        assert!(text(&e, "/description").contains("**5.**"), "{e}");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let refused_edits = h
        .fake
        .requests()
        .iter()
        .filter(|r| r.token() == c["token"].as_str() && r.is_edit_original())
        .count();
    assert_eq!(refused_edits, 1);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_answer_is_ephemeral_and_share_posts_it_publicly() {
    let h = Harness::start(|_| {}).await;
    let (i, reqs) = ask(&h, QUESTION, ASKER, true).await;
    assert!(reqs[0].is_ephemeral(), "private answers are ephemeral");
    let edit = answer_msg(&reqs);
    assert!(edit.is_ephemeral());
    assert!(
        !edit.custom_ids().iter().any(|c| c.starts_with("rf:del:")),
        "no Delete on a private answer"
    );
    let share = edit
        .custom_ids()
        .into_iter()
        .find(|c| c.starts_with("rf:share:"))
        .expect("Share button");
    let message = h.fake.message_from(&edit.body, Some(&i));
    let c = h.fake.click(&share, &message, ASKER);
    h.fake.dispatch(&c);
    let r = h.fake.wait_for_interaction(&c, 2, WAIT).await.unwrap();
    // The private message's Share is disabled; the public copy is a follow-up.
    assert_eq!(r[0].callback_type(), Some(7), "{:?}", r[0].body);
    let buttons = r[0].body["data"]["components"][0]["components"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let b = buttons
        .iter()
        .find(|b| b["custom_id"] == share.as_str())
        .expect("Share still shown");
    assert_eq!(b["disabled"], true, "{b}");
    assert_eq!(b["label"], "Shared");
    let f = r
        .iter()
        .find(|r| r.is_followup())
        .expect("public follow-up");
    assert!(!f.is_ephemeral(), "shared publicly");
    assert_eq!(text(&embed(f), "/title"), QUESTION);
    let ids = f.custom_ids();
    assert_eq!(
        ids,
        [format!("rf:del:{ASKER}")],
        "the copy has a Delete only"
    );
    // Share again (a second click on the old message): refused, nothing posted.
    let again = h.fake.click(&share, &message, ASKER);
    h.fake.dispatch(&again);
    let r = h.fake.wait_for_interaction(&again, 1, WAIT).await.unwrap();
    assert_eq!(r[0].callback_type(), Some(4));
    assert!(r[0].is_ephemeral());
    assert!(text(&embed(&r[0]), "/description").contains("already shared"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let posts = h
        .fake
        .requests()
        .iter()
        .filter(|r| r.is_followup() && !r.is_ephemeral())
        .count();
    assert_eq!(posts, 1, "shared once");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_buttons_are_disabled_and_the_user_told_privately() {
    let h = Harness::start(|s| s.discord.button_timeout_secs = 0).await;
    let (i, reqs) = ask(&h, QUESTION, ASKER, false).await;
    let edit = answer_msg(&reqs);
    let more = edit.custom_ids().into_iter().next().expect("a button");
    let message = h.fake.message_from(&edit.body, Some(&i));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let c = h.fake.click(&more, &message, ASKER);
    h.fake.dispatch(&c);
    let r = h.fake.wait_for_interaction(&c, 2, WAIT).await.unwrap();
    assert_eq!(
        r[0].callback_type(),
        Some(7),
        "update message: disable buttons"
    );
    let buttons: Vec<Value> = r[0].body["data"]["components"][0]["components"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        !buttons.is_empty() && buttons.iter().all(|b| b["disabled"] == true),
        "{:?}",
        r[0].body
    );
    let f = r.iter().find(|r| r.is_followup()).expect("follow-up");
    assert!(f.is_ephemeral());
    assert!(text(&embed(f), "/description").contains("expired"));
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cooldown_refuses_ephemerally() {
    let h = Harness::start(|s| s.discord.cooldown_secs = 60).await;
    let (_i, first) = ask(&h, QUESTION, ASKER, false).await;
    assert_answered(&first);
    let i = h.fake.command(
        "ask",
        &[("question", 3, json!("What does a CTO do?"))],
        ASKER,
        &[],
        0,
    );
    h.fake.dispatch(&i);
    let r = h.fake.wait_for_interaction(&i, 1, WAIT).await.unwrap();
    assert_eq!(r[0].callback_type(), Some(4));
    assert!(r[0].is_ephemeral());
    assert!(text(&embed(&r[0]), "/description").contains("wait"));
    // Another user is not affected.
    let (_i, other) = ask(&h, QUESTION, OTHER, false).await;
    assert_answered(&other);
    h.stop().await;
}

async fn compare(h: &Harness, a: &str, b: &str, aspect: Option<&str>) -> Vec<Request> {
    let mut opts = vec![("role_a", 3, json!(a)), ("role_b", 3, json!(b))];
    if let Some(x) = aspect {
        opts.push(("aspect", 3, json!(x)));
    }
    let i = h.fake.command("compare", &opts, ASKER, &[], 0);
    h.fake.dispatch(&i);
    answered(h, &i).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_renders_one_field_per_aspect_with_footnotes() {
    let h = Harness::start(|_| {}).await;
    let cmp = h
        .service()
        .compare("CIO", "CTO", None)
        .expect("the corpus compares CIO and CTO");
    assert!(!cmp.rows.is_empty());
    let r = compare(&h, "CIO", "CTO", None).await;
    assert_eq!(
        answer_msg(&r).custom_ids(),
        [format!("rf:del:{ASKER}")],
        "a public comparison has a Delete for its asker"
    );
    assert_answered(&r);
    assert!(!r[0].is_ephemeral());
    let e = embed(answer_msg(&r));
    assert_eq!(
        text(&e, "/title"),
        format!("{} vs {}", cmp.roles[0], cmp.roles[1])
    );
    let fields = e["fields"].as_array().cloned().unwrap_or_default();
    assert_eq!(fields.len(), cmp.rows.len().min(25));
    for (f, row) in fields.iter().zip(&cmp.rows) {
        assert_eq!(f["name"].as_str().unwrap(), row.aspect);
        let v = f["value"].as_str().unwrap();
        assert!(v.contains(&format!("**{}:**", cmp.roles[0])), "{v}");
        assert!(v.contains(&format!("**{}:**", cmp.roles[1])), "{v}");
        assert!(v.chars().count() <= 1024);
        assert_eq!(
            v.contains("⚠ sources disagree"),
            row.disagreement.is_some(),
            "{v}"
        );
    }
    assert!(
        text(&e, "/description").starts_with("[1] "),
        "footnotes: {e}"
    );

    // One aspect only.
    let aspect = h
        .service()
        .known_aspects()
        .first()
        .cloned()
        .expect("aspects");
    let r = compare(&h, "CIO", "CTO", Some(&aspect)).await;
    let e = embed(answer_msg(&r));
    let fields = e["fields"].as_array().cloned().unwrap_or_default();
    assert_eq!(fields.len(), 1, "{e}");
    assert_eq!(fields[0]["name"].as_str().unwrap(), aspect);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_unknown_role_is_an_ephemeral_refusal_listing_known_roles() {
    let h = Harness::start(|_| {}).await;
    let roles = h.service().known_roles();
    let r = compare(&h, "CIO", "Chief Pizza Officer", None).await;
    // Refused at once: the ephemeral initial response (a public deferral would have
    // to be deleted and followed up privately).
    assert_eq!(r[0].callback_type(), Some(4), "{r:#?}");
    let f = &r[0];
    assert!(f.is_ephemeral());
    let d = text(&embed(f), "/description");
    assert!(d.contains("Chief Pizza Officer"), "{d}");
    for role in &roles {
        assert!(d.contains(role.as_str()), "{role} missing from {d}");
    }
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autocomplete_offers_filtered_roles() {
    let h = Harness::start(|_| {}).await;
    let roles = h.service().known_roles();
    assert!(!roles.is_empty());
    let typed = roles[0].chars().next().unwrap().to_string().to_lowercase();
    let i = h
        .fake
        .autocomplete("compare", &[], ("role_a", &typed), ASKER);
    h.fake.dispatch(&i);
    let r = h.fake.wait_for_interaction(&i, 1, WAIT).await.unwrap();
    assert_eq!(r[0].callback_type(), Some(8));
    let choices = r[0].body["data"]["choices"].as_array().cloned().unwrap();
    assert!(!choices.is_empty() && choices.len() <= 25);
    for c in &choices {
        let name = c["name"].as_str().unwrap();
        assert!(name.chars().count() <= 100 && c["value"].as_str().unwrap().chars().count() <= 100);
        assert!(name.to_lowercase().contains(&typed), "{name} vs {typed}");
    }
    assert!(choices.iter().any(|c| c["name"] == roles[0].as_str()));

    let aspects = h.service().known_aspects();
    let i = h
        .fake
        .autocomplete("compare", &[("role_a", "CIO")], ("aspect", ""), ASKER);
    h.fake.dispatch(&i);
    let r = h.fake.wait_for_interaction(&i, 1, WAIT).await.unwrap();
    let names: Vec<String> = r[0].body["data"]["choices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names.len(), aspects.len().min(25));
    assert!(names.iter().all(|n| aspects.contains(n)));
    h.stop().await;
}

fn extra_docs(dir: &std::path::Path, n: usize) {
    for k in 0..n {
        std::fs::write(
            dir.join(format!("extra-note-{k:02}.md")),
            format!(
                "---\ntitle: Extra note {k}\n---\n# Extra note {k}\n\nThe chief information officer reviews the budget for \
                 enterprise systems in quarter {k} and reports to the board.\n\nThe chief \
                 technology officer leads the engineering teams that build product number {k}.\n"
            ),
        )
        .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sources_paginates_with_buttons_and_help_is_ephemeral() {
    let h = Harness::start(|s| extra_docs(&s.corpus.dir, 8)).await;
    let list = h.service().sources();
    assert!(list.len() > 10, "precondition: two pages ({})", list.len());
    let i = h.fake.command("sources", &[], ASKER, &[], 0);
    h.fake.dispatch(&i);
    let r = h.fake.wait_for_interaction(&i, 1, WAIT).await.unwrap();
    assert_eq!(r[0].callback_type(), Some(4));
    let e = embed(&r[0]);
    assert!(text(&e, "/title").contains("page 1/2"), "{e}");
    assert!(text(&e, "/description").contains(&list[0].id), "{e}");
    let ids = r[0].custom_ids();
    let next = format!("rf:src:1:{ASKER}");
    assert_eq!(ids, [format!("rf:src:0:{ASKER}"), next.clone()]);
    let message = h.fake.message_from(&r[0].body, Some(&i));
    // Someone else clicks Next: their own private copy of page 2, the list untouched.
    let c = h.fake.click(&next, &message, OTHER);
    h.fake.dispatch(&c);
    let r = h.fake.wait_for_interaction(&c, 1, WAIT).await.unwrap();
    assert_eq!(r[0].callback_type(), Some(4), "{:?}", r[0].body);
    assert!(r[0].is_ephemeral(), "a copy only they see");
    let e = embed(&r[0]);
    assert!(text(&e, "/title").contains("page 2/2"), "{e}");
    assert!(
        r[0].custom_ids()
            .iter()
            .all(|id| id.ends_with(&format!(":{OTHER}"))),
        "their copy pages for them: {:?}",
        r[0].custom_ids()
    );
    // The asker pages the public list itself.
    let c = h.fake.click(&next, &message, ASKER);
    h.fake.dispatch(&c);
    let r = h.fake.wait_for_interaction(&c, 1, WAIT).await.unwrap();
    assert_eq!(r[0].callback_type(), Some(7));
    let e = embed(&r[0]);
    assert!(text(&e, "/title").contains("page 2/2"), "{e}");
    assert!(text(&e, "/description").contains(&list[10].id), "{e}");

    let i = h.fake.command("help", &[], ASKER, &[], 0);
    h.fake.dispatch(&i);
    let r = h.fake.wait_for_interaction(&i, 1, WAIT).await.unwrap();
    assert_eq!(r[0].callback_type(), Some(4));
    assert!(r[0].is_ephemeral());
    let e = embed(&r[0]);
    let names: Vec<String> = e["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect();
    for cmd in ["/ask", "/compare", "/sources", "/reindex"] {
        assert!(
            names.iter().any(|n| n.starts_with(cmd)),
            "{cmd} missing in {names:?}"
        );
    }
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reindex_refused_for_non_admin_and_runs_for_admin_while_asks_are_answered() {
    let h = Harness::start(|_| {}).await;
    // Not a home server: refused privately, saying why.
    let i = h.fake.in_guild(
        h.fake.command("reindex", &[], OTHER, &[], 0),
        OTHER_GUILD_ID,
    );
    h.fake.dispatch(&i);
    let r = h.fake.wait_for_interaction(&i, 1, WAIT).await.unwrap();
    assert_eq!(r[0].callback_type(), Some(4));
    assert!(r[0].is_ephemeral());
    assert!(text(&embed(&r[0]), "/description").contains("not one of the bot's home servers"));

    // Admin by role, while questions keep coming.
    let admin = h.fake.command("reindex", &[], ASKER, &[ADMIN_ROLE_ID], 0);
    h.fake.dispatch(&admin);
    let asks: Vec<Value> = (0..20)
        .map(|k| {
            let i = h
                .fake
                .command("ask", &[("question", 3, json!(QUESTION))], 500 + k, &[], 0);
            h.fake.dispatch(&i);
            i
        })
        .collect();
    let r = h
        .fake
        .wait_for_interaction(&admin, 2, Duration::from_secs(90))
        .await
        .unwrap();
    assert_eq!(r[0].callback_type(), Some(5));
    assert!(r[0].is_ephemeral());
    let e = embed(r.iter().find(|r| r.is_edit_original()).unwrap());
    assert_eq!(text(&e, "/title"), "Index rebuilt", "{e}");
    assert!(text(&e, "/description").contains("**Documents:**"));
    for i in &asks {
        let r = answered(&h, i).await;
        assert_answered(&r);
        let edit = answer_msg(&r);
        assert_eq!(text(&embed(edit), "/title"), QUESTION, "no failure replies");
        assert!(!r.iter().any(|r| r.is_delete_original() || r.is_followup()));
    }

    // Admin by the ADMINISTRATOR permission bit in member.permissions, sent as
    // soon as the first rebuild's report arrived: that rebuild is over, so this
    // one must run, not be refused as "already in progress".
    let by_perm = h.fake.command("reindex", &[], OTHER, &[], 8);
    h.fake.dispatch(&by_perm);
    expect_rebuilt(&h, &by_perm).await;
    h.stop().await;
}

/// `/reindex` was deferred (not refused) and then reported a rebuilt index.
async fn expect_rebuilt(h: &Harness, interaction: &Value) {
    let r = h
        .fake
        .wait_for_interaction(interaction, 1, WAIT)
        .await
        .unwrap();
    assert_eq!(
        r[0].callback_type(),
        Some(5),
        "deferred, not refused: {:?}",
        r[0].body
    );
    // The result is the edit after any "Still rebuilding" progress edits.
    let token = interaction["token"].as_str().unwrap().to_string();
    let r = h
        .fake
        .wait_for(1, Duration::from_secs(90), move |r| {
            r.is_edit_original()
                && r.token() == Some(token.as_str())
                && !text(&embed(r), "/title").starts_with("Rebuilding")
        })
        .await
        .unwrap();
    let e = embed(&r[0]);
    assert_eq!(text(&e, "/title"), "Index rebuilt", "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reindex_runs_once_the_previous_one_is_built_even_before_its_report_is_delivered() {
    let h = Harness::start(|_| {}).await;
    // The report of the first rebuild reaches Discord, but Discord's answer to
    // the edit is slow; the admin starts the next rebuild meanwhile.
    h.fake.delay_edits(Duration::from_secs(3));
    let first = h.fake.command("reindex", &[], ASKER, &[ADMIN_ROLE_ID], 0);
    h.fake.dispatch(&first);
    let r = h
        .fake
        .wait_for_interaction(&first, 2, Duration::from_secs(90))
        .await
        .unwrap();
    assert!(r.iter().any(|r| r.is_edit_original()));
    let second = h.fake.command("reindex", &[], ASKER, &[ADMIN_ROLE_ID], 0);
    h.fake.dispatch(&second);
    expect_rebuilt(&h, &second).await;
    h.fake.delay_edits(Duration::ZERO);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_reindex_deferral_times_out_and_the_next_reindex_is_accepted() {
    let h = Harness::start(|s| s.discord.http_timeout_secs = 1).await;
    let first = h.fake.command("reindex", &[], ASKER, &[ADMIN_ROLE_ID], 0);
    // Discord records the deferral but never answers it (nor the report's edit).
    h.fake.stall(&first, Duration::from_secs(300));
    h.fake.dispatch(&first);
    let r = h.fake.wait_for_interaction(&first, 1, WAIT).await.unwrap();
    assert_eq!(r[0].callback_type(), Some(5), "{:?}", r[0].body);
    // The deferral gives up after http_timeout_secs; the rebuild runs anyway and its
    // report is attempted (and gives up too).
    let r = h
        .fake
        .wait_for_interaction(&first, 2, Duration::from_secs(60))
        .await
        .expect("the rebuild ran and its report was sent despite the stalled deferral");
    assert!(r.iter().any(|r| r.is_edit_original()));
    // Nothing still holds the busy flag: the next /reindex runs.
    let second = h.fake.command("reindex", &[], ASKER, &[ADMIN_ROLE_ID], 0);
    h.fake.dispatch(&second);
    expect_rebuilt(&h, &second).await;
    h.stop().await;
}

/// Footer of the answer an edit shows ("Results a–b of n · …").
fn footer(r: &Request) -> String {
    text(&embed(r), "/footer/text")
}

/// The "More results" button of a message, if any.
fn more_button(r: &Request) -> Option<String> {
    r.custom_ids()
        .into_iter()
        .find(|c| c.starts_with("rf:more:"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn double_click_on_more_results_before_the_last_page_shows_the_last_page_twice() {
    let h = Harness::start(|_| {}).await;
    let total = results_of(&h, QUESTION);
    assert!(total > 4, "precondition: at least three pages ({total})");
    let pages = total.div_ceil(2);
    let last = format!("Results {}–{total} of {total}", (pages - 1) * 2 + 1);
    let (i, reqs) = ask(&h, QUESTION, ASKER, false).await;
    let mut shown = answer_msg(&reqs).clone();
    // One click at a time up to the page before the last.
    for _ in 0..pages - 2 {
        let more = more_button(&shown).expect("More results before the last page");
        let c = h
            .fake
            .click(&more, &h.fake.message_from(&shown.body, Some(&i)), ASKER);
        h.fake.dispatch(&c);
        let r = h.fake.wait_for_interaction(&c, 2, WAIT).await.unwrap();
        shown = r.iter().find(|r| r.is_edit_original()).unwrap().clone();
    }
    assert!(
        footer(&shown).starts_with(&format!("Results {}–", (pages - 2) * 2 + 1)),
        "{}",
        footer(&shown)
    );
    // Double-click: the same button of the same message, twice at once.
    let more = more_button(&shown).expect("More results on the page before the last");
    let message = h.fake.message_from(&shown.body, Some(&i));
    let clicks = [
        h.fake.click(&more, &message, ASKER),
        h.fake.click(&more, &message, ASKER),
    ];
    for c in &clicks {
        h.fake.dispatch(c);
    }
    for c in &clicks {
        let r = h.fake.wait_for_interaction(c, 2, WAIT).await.unwrap();
        let edit = r.iter().find(|r| r.is_edit_original()).expect("edited");
        let e = embed(edit);
        assert!(
            !text(&e, "/description").contains("no answer"),
            "an empty page shown as no answer: {e}"
        );
        assert!(footer(edit).starts_with(&last), "{e}");
        assert_eq!(more_button(edit), None, "no More results on the last page");
    }
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn burst_of_200_interactions_each_answered_exactly_once() {
    let h = Harness::start(|s| s.discord.cooldown_secs = 0).await;
    let questions = [
        QUESTION,
        "What does a CTO do?",
        "Who owns the technology roadmap?",
        "Who does the CIO report to?",
    ];
    let all: Vec<Value> = (0..200u64)
        .map(|k| {
            h.fake.command(
                "ask",
                &[(
                    "question",
                    3,
                    json!(questions[k as usize % questions.len()]),
                )],
                600 + k % 7,
                &[],
                0,
            )
        })
        .collect();
    for i in &all {
        h.fake.dispatch(i);
    }
    let ids: std::collections::HashSet<String> = all
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    let tokens: std::collections::HashSet<String> = all
        .iter()
        .map(|i| i["token"].as_str().unwrap().to_string())
        .collect();
    let ids2 = ids.clone();
    let tokens2 = tokens.clone();
    // Each is answered by an initial response (type 4) or a deferral and its edit.
    h.fake
        .wait_for(200, Duration::from_secs(120), move |r| {
            (r.callback_type() == Some(4) && r.interaction_id().is_some_and(|i| ids2.contains(i)))
                || (r.is_edit_original() && r.token().is_some_and(|t| tokens2.contains(t)))
        })
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let reqs = h.fake.requests();
    let mut callbacks: HashMap<String, usize> = HashMap::new();
    let mut deferred: std::collections::HashSet<String> = Default::default();
    let mut edits: HashMap<String, usize> = HashMap::new();
    for r in &reqs {
        if r.is_callback() {
            *callbacks
                .entry(r.interaction_id().unwrap().to_string())
                .or_default() += 1;
            if r.callback_type() == Some(5) {
                deferred.insert(r.token().unwrap().to_string());
            }
        } else if r.is_edit_original() {
            *edits.entry(r.token().unwrap().to_string()).or_default() += 1;
        }
        assert!(
            !r.is_delete_original() && !r.is_followup(),
            "an interaction failed: {r:?}"
        );
    }
    for id in &ids {
        assert_eq!(callbacks.get(id), Some(&1), "interaction {id}");
    }
    for t in &tokens {
        let want = usize::from(deferred.contains(t));
        assert_eq!(edits.get(t).copied().unwrap_or(0), want, "token {t}");
    }
    eprintln!(
        "burst of 200: {} answered in the initial response, {} deferred and edited",
        200 - deferred.len(),
        deferred.len()
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_guard_refuses_discord_and_unreachable_or_foreign_gateways() {
    set_test_mode();
    let tmp = tempfile::tempdir().unwrap();
    let fake = FakeDiscord::start().await;
    let settings = test_settings(tmp.path(), &fake.api_base());
    let core: std::sync::Arc<dyn rolefaq::discord::Core> = open_service(&settings).await;

    let mut s = settings.clone();
    s.discord.api_base = "https://discord.com".into();
    let err = rolefaq::discord::build_client(&s, core.clone())
        .await
        .err()
        .expect("refused");
    assert!(format!("{err:#}").contains("loopback"), "{err:#}");

    // Unreachable REST base: refuse to start instead of falling back to Discord's gateway.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    s.discord.api_base = format!("http://127.0.0.1:{port}");
    let err = rolefaq::discord::build_client(&s, core.clone())
        .await
        .err()
        .expect("refused");
    assert!(format!("{err:#}").contains("refusing to start"), "{err:#}");

    // A fake that hands out Discord's real gateway URL.
    fake.set_gateway_url("wss://gateway.discord.gg");
    let err = rolefaq::discord::build_client(&settings, core.clone())
        .await
        .err()
        .expect("refused");
    assert!(format!("{err:#}").contains("gateway URL"), "{err:#}");
    assert!(fake.identifies().is_empty());

    // `serve` refuses without a token before opening anything.
    let mut s = settings.clone();
    s.discord.token = rolefaq::config::Secret::default();
    let err = rolefaq::discord::serve(s).await.expect_err("refused");
    assert!(format!("{err:#}").contains("DISCORD_TOKEN"), "{err:#}");

    // No token: a clear error.
    let mut s = settings.clone();
    s.discord.token = rolefaq::config::Secret::new("  ");
    let err = rolefaq::discord::build_client(&s, core)
        .await
        .err()
        .expect("refused");
    assert!(format!("{err:#}").contains("DISCORD_TOKEN"), "{err:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shard_settings_decide_the_identified_shards() {
    // Shards 1..=1 of 3: this process identifies as shard [1, 3] only.
    let h = Harness::start(|s| {
        s.discord.shard_count = Some(3);
        s.discord.shard_start = Some(1);
        s.discord.shard_end = Some(1);
    })
    .await;
    let ids = h.fake.wait_identifies(1, WAIT).await.unwrap();
    assert_eq!(ids[0]["shard"], json!([1, 3]));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(h.fake.identifies().len(), 1);
    let (_i, r) = ask(&h, QUESTION, ASKER, false).await;
    assert_answered(&r);
    h.stop().await;

    // Automatic: the fake's /gateway/bot recommends one shard.
    let h = Harness::start(|_| {}).await;
    let ids = h.fake.identifies();
    assert_eq!(ids[0]["shard"], json!([0, 1]));
    assert!(h
        .fake
        .requests()
        .iter()
        .any(|r| r.path == "/api/v10/gateway/bot"));
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interactions_without_optional_or_newer_fields_are_still_answered() {
    let h = Harness::start(|_| {}).await;
    let mut i = h
        .fake
        .command("ask", &[("question", 3, json!(QUESTION))], ASKER, &[], 0);
    let o = i.as_object_mut().unwrap();
    // Documented as optional, deprecated or added recently; serenity 0.12.5 requires them.
    for key in [
        "channel_id",
        "locale",
        "attachment_size_limit",
        "guild_locale",
    ] {
        o.remove(key);
    }
    let m = o["member"].as_object_mut().unwrap();
    for key in ["flags", "deaf", "mute"] {
        m.remove(key);
    }
    h.fake.dispatch(&i);
    let r = answered(&h, &i).await;
    assert_answered(&r);
    let edit = answer_msg(&r);
    assert_eq!(text(&embed(edit), "/title"), QUESTION);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let callbacks = h
        .fake
        .requests()
        .iter()
        .filter(|r| r.is_callback() && r.interaction_id() == i["id"].as_str())
        .count();
    assert_eq!(callbacks, 1, "answered exactly once");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_reindex_while_one_runs_is_refused_ephemerally() {
    let h = Harness::start(|s| s.discord.admin_user_ids = vec![ASKER]).await;
    let a = h.fake.command("reindex", &[], ASKER, &[], 0);
    let b = h.fake.command("reindex", &[], ASKER, &[], 0);
    h.fake.dispatch(&a);
    h.fake.dispatch(&b);
    let ra = h.fake.wait_for_interaction(&a, 1, WAIT).await.unwrap();
    let rb = h.fake.wait_for_interaction(&b, 1, WAIT).await.unwrap();
    let (first, second) = if ra[0].callback_type() == Some(5) {
        (&a, &rb)
    } else {
        (&b, &ra)
    };
    assert_eq!(
        second[0].callback_type(),
        Some(4),
        "one of the two is refused"
    );
    assert!(second[0].is_ephemeral());
    assert!(text(&embed(&second[0]), "/description").contains("already in progress"));
    expect_rebuilt(&h, first).await;
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_question_is_answered_within_discord_limits() {
    let h = Harness::start(|_| {}).await;
    let q = format!(
        "{} {}",
        QUESTION,
        "and what about the roadmap 🚀 ".repeat(200)
    );
    let (_i, r) = ask(&h, &q, ASKER, false).await;
    let edit = answer_msg(&r);
    let e = embed(edit);
    let n = |p: &str| text(&e, p).chars().count();
    assert_eq!(n("/title"), 256);
    assert!(text(&e, "/title").ends_with('…'));
    assert!(n("/description") <= 4096 && n("/footer/text") <= 2048);
    assert!(n("/title") + n("/description") + n("/footer/text") <= 6000);
    h.stop().await;
}

/// A DM interaction: no guild, no member, the invoking `user` at the top level (context 1).
fn as_dm(mut i: Value) -> Value {
    let o = i.as_object_mut().unwrap();
    let member = o.remove("member").unwrap();
    o.insert("user".into(), member["user"].clone());
    o.remove("guild_id");
    o.insert("context".into(), json!(1));
    o.insert(
        "channel".into(),
        json!({"id": CHANNEL_ID.to_string(), "type": 1}),
    );
    o.insert(
        "authorizing_integration_owners".into(),
        json!({"1": member["user"]["id"]}),
    );
    if let Some(d) = o.get_mut("data").and_then(Value::as_object_mut) {
        d.remove("guild_id");
    }
    i
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_messages_work_and_reindex_there_needs_an_admin_user_id() {
    let h = Harness::start(|s| s.discord.admin_user_ids = vec![ASKER]).await;
    let i = as_dm(
        h.fake
            .command("ask", &[("question", 3, json!(QUESTION))], OTHER, &[], 0),
    );
    h.fake.dispatch(&i);
    let r = answered(&h, &i).await;
    assert_answered(&r);
    assert!(r
        .iter()
        .any(|r| r.callback_type() == Some(4) || r.is_edit_original()));

    let i = as_dm(h.fake.command("reindex", &[], OTHER, &[], 0));
    h.fake.dispatch(&i);
    let r = h.fake.wait_for_interaction(&i, 1, WAIT).await.unwrap();
    assert_eq!(r[0].callback_type(), Some(4));
    assert!(r[0].is_ephemeral());

    let i = as_dm(h.fake.command("reindex", &[], ASKER, &[], 0));
    h.fake.dispatch(&i);
    let r = h
        .fake
        .wait_for_interaction(&i, 2, Duration::from_secs(90))
        .await
        .unwrap();
    assert_eq!(r[0].callback_type(), Some(5));
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn option_values_of_the_wrong_type_get_an_ephemeral_explanation() {
    let h = Harness::start(|_| {}).await;
    // question sent as an integer, compare roles as a boolean and a number
    let cases = [
        h.fake
            .command("ask", &[("question", 4, json!(42))], ASKER, &[], 0),
        h.fake.command("ask", &[], ASKER + 1, &[], 0),
        h.fake.command(
            "compare",
            &[("role_a", 5, json!(true)), ("role_b", 10, json!(3.5))],
            ASKER + 2,
            &[],
            0,
        ),
    ];
    for i in &cases {
        h.fake.dispatch(i);
        let reqs = h.fake.wait_for_interaction(i, 1, WAIT).await.unwrap();
        // the reply (or the follow-up after a deferral) is ephemeral and says what to do
        let last = h
            .fake
            .wait_for_interaction(i, reqs.len(), WAIT)
            .await
            .unwrap();
        assert!(
            last.iter().any(|r| r.is_ephemeral()),
            "no ephemeral explanation: {last:#?}"
        );
    }
    h.stop().await;
}

// ---- issue 13 -------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_admin_without_administrator_can_reindex_from_any_server() {
    let h = Harness::start(|s| s.discord.admin_user_ids = vec![ASKER]).await;
    // No ADMINISTRATOR, no admin role, and a server that is not a home server.
    let i = h.fake.in_guild(
        h.fake.command("reindex", &[], ASKER, &[], 0),
        OTHER_GUILD_ID,
    );
    h.fake.dispatch(&i);
    expect_rebuilt(&h, &i).await;
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_of_a_server_that_is_not_a_home_server_cannot_reindex() {
    let h = Harness::start(|_| {}).await;
    let before = h.service().freshness().built_at;
    let i = h.fake.in_guild(
        h.fake.command("reindex", &[], OTHER, &[], 8),
        OTHER_GUILD_ID,
    );
    h.fake.dispatch(&i);
    let r = h.fake.wait_for_interaction(&i, 1, WAIT).await.unwrap();
    assert_eq!(r[0].callback_type(), Some(4), "refused, not deferred");
    assert!(r[0].is_ephemeral(), "privately");
    let d = text(&embed(&r[0]), "/description");
    assert!(d.contains("not one of the bot's home servers"), "{d}");
    assert!(
        d.contains("administrator of this server is not enough"),
        "{d}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(h.service().freshness().built_at, before, "nothing rebuilt");

    // In the home server, a member Discord let through (an override in Server
    // Settings › Integrations: no ADMINISTRATOR, no admin role) may rebuild.
    let i = h.fake.command("reindex", &[], OTHER, &[], 0);
    h.fake.dispatch(&i);
    expect_rebuilt(&h, &i).await;
    h.stop().await;
}

async fn slow_harness(
    ask: Duration,
    rebuild: Duration,
    cfg: impl FnOnce(&mut rolefaq::config::Settings),
) -> Harness {
    Harness::start_wrapped(cfg, |inner| {
        std::sync::Arc::new(SlowCore {
            inner,
            ask,
            rebuild,
            sources: Duration::ZERO,
        })
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autocomplete_and_sources_answer_within_3_s_while_a_rebuild_and_50_questions_run() {
    // 50 questions of 300 ms each on 2 search slots: 7.5 s of queue; a 6 s rebuild.
    let h = slow_harness(Duration::from_millis(300), Duration::from_secs(6), |_| {}).await;
    let reindex = h.fake.command("reindex", &[], ASKER, &[ADMIN_ROLE_ID], 0);
    h.fake.dispatch(&reindex);
    h.fake
        .wait_for_interaction(&reindex, 1, WAIT)
        .await
        .unwrap();
    let asks: Vec<Value> = (0..50)
        .map(|k| {
            let i = h
                .fake
                .command("ask", &[("question", 3, json!(QUESTION))], 700 + k, &[], 0);
            h.fake.dispatch(&i);
            i
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let light = [
        h.fake.autocomplete("compare", &[], ("role_a", "c"), ASKER),
        h.fake.command("sources", &[], ASKER, &[], 0),
        h.fake
            .autocomplete("compare", &[("role_a", "CIO")], ("aspect", ""), OTHER),
    ];
    let sent = std::time::Instant::now();
    for i in &light {
        h.fake.dispatch(i);
    }
    let mut worst = Duration::ZERO;
    for i in &light {
        let r = h.fake.wait_for_interaction(i, 1, WAIT).await.unwrap();
        let took = r[0].at.duration_since(sent);
        worst = worst.max(took);
        assert!(
            matches!(r[0].callback_type(), Some(4 | 8)),
            "{:?}",
            r[0].body
        );
        assert!(took < Duration::from_secs(3), "answered after {took:?}");
    }
    // Questions do not wait behind the rebuild: the first is answered before it ends.
    let first = answered(&h, &asks[0]).await;
    let rebuilt = h
        .fake
        .wait_for_interaction(&reindex, 2, Duration::from_secs(60))
        .await
        .unwrap();
    assert!(
        answer_msg(&first).at < rebuilt[1].at,
        "a question waited behind the rebuild"
    );
    let mut slowest_first_response = Duration::ZERO;
    for i in &asks {
        let r = answered(&h, i).await;
        assert_answered(&r);
        slowest_first_response = slowest_first_response.max(r[0].at.duration_since(sent));
    }
    eprintln!(
        "light responses: worst {worst:?}; slowest first response to a question {slowest_first_response:?}"
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_answer_is_deferred_then_edited() {
    let h = slow_harness(Duration::from_millis(1600), Duration::ZERO, |_| {}).await;
    let (_i, r) = ask(&h, QUESTION, ASKER, false).await;
    assert_eq!(r[0].callback_type(), Some(5), "deferred: {:?}", r[0].body);
    let edit = r.iter().find(|r| r.is_edit_original()).expect("edited in");
    assert_eq!(text(&embed(edit), "/title"), QUESTION);
    // The deferral went out before the search ended (within fast_answer_ms + slack).
    let edit_gap = edit.at.duration_since(r[0].at);
    assert!(edit_gap > Duration::from_millis(200), "{edit_gap:?}");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_message_command_gets_a_cited_answer() {
    let h = Harness::start(|_| {}).await;
    let msg = h.fake.user_message(QUESTION, OTHER, true);
    let i = h.fake.message_command("Ask rolefaq", &msg, ASKER);
    h.fake.dispatch(&i);
    let r = answered(&h, &i).await;
    assert_answered(&r);
    let e = embed(answer_msg(&r));
    assert_eq!(text(&e, "/title"), QUESTION);
    assert!(text(&e, "/description").contains('¶'), "cited: {e}");
    assert!(vote_ids(answer_msg(&r)).is_some());
    // Recorded as a context-menu question of this server, the asker only hashed.
    let svc = h.service();
    assert!(svc.flush_records(Duration::from_secs(10)));
    let rec = svc.recorded(7).unwrap();
    assert_eq!(rec.len(), 1);
    let q = &rec[0].record;
    assert_eq!(q.entry_point, rolefaq::store::EntryPoint::ContextMenu);
    assert_eq!(q.guild_id, Some(GUILD_ID));
    let asker = q.asker.as_deref().expect("a keyed hash of the asker");
    assert!(!asker.contains(&ASKER.to_string()), "{asker}");
    // An empty message: an ephemeral explanation.
    let empty = h.fake.user_message("   ", OTHER, true);
    let i = h.fake.message_command("Ask rolefaq", &empty, ASKER + 1);
    h.fake.dispatch(&i);
    let r = h.fake.wait_for_interaction(&i, 1, WAIT).await.unwrap();
    assert!(r[0].is_ephemeral());
    h.stop().await;
}

/// Channel messages the bot posted (replies to @mentions and DMs, reports).
async fn channel_messages(h: &Harness, n: usize) -> Vec<Request> {
    h.fake
        .wait_for(n, WAIT, Request::is_channel_message)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_at_mention_and_a_dm_get_cited_replies_quoting_the_message() {
    let h = Harness::start(|_| {}).await;
    let m = h
        .fake
        .user_message(&format!("<@{BOT_ID}> {QUESTION}"), ASKER, true);
    h.fake.dispatch_message(&m);
    let posted = channel_messages(&h, 1).await;
    let reply = &posted[0];
    assert_eq!(reply.channel(), Some(CHANNEL_ID.to_string().as_str()));
    assert_eq!(
        reply.body["message_reference"]["message_id"], m["id"],
        "quotes the asker"
    );
    assert_eq!(
        reply.body["allowed_mentions"]["replied_user"], false,
        "no ping"
    );
    let e = embed(reply);
    assert_eq!(
        text(&e, "/title"),
        QUESTION,
        "the mention is not part of the question"
    );
    assert!(text(&e, "/description").contains('¶'), "cited: {e}");
    assert!(reply.custom_ids().contains(&format!("rf:del:{ASKER}")));

    // A server message that does not mention the bot, and the bot's own: ignored.
    h.fake
        .dispatch_message(&h.fake.user_message(QUESTION, OTHER, true));
    let mut own = h
        .fake
        .user_message(&format!("<@{BOT_ID}> {QUESTION}"), BOT_ID, true);
    own["author"]["bot"] = json!(true);
    h.fake.dispatch_message(&own);
    // A DM needs no mention.
    let dm = h.fake.user_message("What does a CTO do?", OTHER, false);
    h.fake.dispatch_message(&dm);
    let posted = channel_messages(&h, 2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let all: Vec<Request> = h
        .fake
        .requests()
        .into_iter()
        .filter(Request::is_channel_message)
        .collect();
    assert_eq!(
        all.len(),
        2,
        "only the mention and the DM answered: {all:#?}"
    );
    assert_eq!(posted[1].body["message_reference"]["message_id"], dm["id"]);
    assert_eq!(text(&embed(&posted[1]), "/title"), "What does a CTO do?");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_answer_in_thread_a_mention_is_answered_in_a_thread_on_it() {
    let h = Harness::start(|s| s.discord.answer_in_thread = true).await;
    let m = h
        .fake
        .user_message(&format!("<@{BOT_ID}> {QUESTION}"), ASKER, true);
    h.fake.dispatch_message(&m);
    let posted = channel_messages(&h, 1).await;
    let mid = m["id"].as_str().unwrap();
    let thread = h
        .fake
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path.ends_with("/threads"))
        .expect("a thread was started");
    assert_eq!(
        thread.path,
        format!("/api/v10/channels/{CHANNEL_ID}/messages/{mid}/threads")
    );
    assert_eq!(thread.body["name"], QUESTION);
    assert_eq!(posted[0].channel(), Some(mid), "answered in the thread");
    assert_eq!(text(&embed(&posted[0]), "/title"), QUESTION);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_delete_button_refuses_others_and_deletes_for_the_asker_or_a_moderator() {
    let h = Harness::start(|_| {}).await;
    let (i, reqs) = ask(&h, QUESTION, ASKER, false).await;
    let a = answer_msg(&reqs);
    let del = format!("rf:del:{ASKER}");
    assert!(a.custom_ids().contains(&del), "{:?}", a.custom_ids());
    let message = h.fake.message_from(&a.body, Some(&i));
    let mid = message["id"].as_str().unwrap().to_string();
    let deletes = |h: &Harness| {
        h.fake
            .requests()
            .iter()
            .filter(|r| r.method == "DELETE" && r.path.contains("/messages/"))
            .count()
    };

    let c = h.fake.click(&del, &message, OTHER);
    h.fake.dispatch(&c);
    let r = h.fake.wait_for_interaction(&c, 1, WAIT).await.unwrap();
    assert_eq!(r[0].callback_type(), Some(4));
    assert!(r[0].is_ephemeral());
    assert!(text(&embed(&r[0]), "/description").contains("Only the person who asked"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(deletes(&h), 0, "someone else cannot delete it");

    // A moderator (Manage Messages) can.
    let c = h.fake.click_with(&del, &message, OTHER, 1 << 13);
    h.fake.dispatch(&c);
    let r = h.fake.wait_for_interaction(&c, 1, WAIT).await.unwrap();
    assert_eq!(r[0].body, json!({"type": 6}));
    let d = h
        .fake
        .wait_for(1, WAIT, |r| {
            r.method == "DELETE" && r.path.contains("/messages/")
        })
        .await
        .unwrap();
    assert_eq!(
        d[0].path,
        format!("/api/v10/channels/{CHANNEL_ID}/messages/{mid}")
    );
    // And the asker can.
    let c = h.fake.click(&del, &message, ASKER);
    h.fake.dispatch(&c);
    h.fake.wait_for_interaction(&c, 1, WAIT).await.unwrap();
    h.fake
        .wait_for(2, WAIT, |r| {
            r.method == "DELETE" && r.path.contains("/messages/")
        })
        .await
        .unwrap();
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuild_reports_its_start_and_result_in_the_admin_channel() {
    const ADMIN_CHANNEL: u64 = 900_000_000_000_000_077;
    let h = Harness::start(|s| s.discord.admin_channel_id = Some(ADMIN_CHANNEL)).await;
    let i = h.fake.command("reindex", &[], ASKER, &[ADMIN_ROLE_ID], 0);
    h.fake.dispatch(&i);
    expect_rebuilt(&h, &i).await;
    let posted = channel_messages(&h, 2).await;
    let admin = ADMIN_CHANNEL.to_string();
    assert!(posted.iter().all(|p| p.channel() == Some(admin.as_str())));
    assert_eq!(text(&embed(&posted[0]), "/title"), "Rebuild started");
    assert!(text(&embed(&posted[0]), "/description").contains(&format!("<@{ASKER}>")));
    assert_eq!(text(&embed(&posted[1]), "/title"), "Index rebuilt");
    assert_eq!(
        posted[1].body["allowed_mentions"]["parse"],
        json!([]),
        "no pings"
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fake_sends_discords_rate_limit_headers_per_token_bucket() {
    // The fake follows Discord: five calls of one token's bucket in its window, then
    // 429. Answers make one or two calls per token, so a burst never meets a 429.
    let h = Harness::start(|_| {}).await;
    let client = reqwest::Client::new();
    let url = |tok: &str| {
        format!(
            "{}/api/v10/webhooks/{APP_ID}/{tok}/messages/@original",
            h.fake.api_base()
        )
    };
    let i = h.fake.command("help", &[], ASKER, &[], 0);
    h.fake.dispatch(&i);
    h.fake.wait_for_interaction(&i, 1, WAIT).await.unwrap();
    let tok = i["token"].as_str().unwrap();
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let r = client
            .patch(url(tok))
            .header("content-type", "application/json")
            .body(r#"{"content": "x"}"#)
            .send()
            .await
            .unwrap();
        let remaining = r
            .headers()
            .get("x-ratelimit-remaining")
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        assert!(r.headers().contains_key("x-ratelimit-bucket"));
        statuses.push((r.status().as_u16(), remaining));
    }
    assert_eq!(statuses[0], (200, Some("4".into())));
    assert_eq!(statuses[5].0, 429, "{statuses:?}");
    // Our own calls above were refused, not the bot's; forget them before stop().
    assert!(h
        .fake
        .errors()
        .iter()
        .all(|(c, r)| *c == 429 && r.token() == Some(tok)));
    h.stop_ignoring_errors().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_rebuild_shows_progress_and_reports_in_the_channel_once_the_token_is_nearly_spent() {
    // A rebuild of 2.5 s with progress every second.
    let h = slow_harness(Duration::ZERO, Duration::from_millis(2500), |s| {
        s.discord.reindex_progress_secs = 1;
    })
    .await;
    let i = h.fake.command("reindex", &[], ASKER, &[ADMIN_ROLE_ID], 0);
    h.fake.dispatch(&i);
    let r = h
        .fake
        .wait_for_interaction(&i, 3, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(r[0].callback_type(), Some(5));
    assert!(
        text(&embed(&r[1]), "/description").starts_with("Still rebuilding"),
        "{:?}",
        r[1].body
    );
    expect_rebuilt(&h, &i).await;
    let edits: Vec<Request> = h
        .fake
        .wait_for_interaction(&i, 3, WAIT)
        .await
        .unwrap()
        .into_iter()
        .filter(Request::is_edit_original)
        .collect();
    assert_eq!(
        text(&embed(edits.last().unwrap()), "/title"),
        "Index rebuilt",
        "the result is the last edit"
    );

    // Created 14.5 minutes ago: the token would expire before the report, so the reply
    // says so up front and the report goes to the channel it was asked in.
    let late = h.fake.created_ago(
        h.fake.command("reindex", &[], ASKER, &[ADMIN_ROLE_ID], 0),
        Duration::from_secs(14 * 60 + 30),
    );
    h.fake.dispatch(&late);
    let r = h.fake.wait_for_interaction(&late, 2, WAIT).await.unwrap();
    assert_eq!(r[0].callback_type(), Some(5));
    let notice = text(&embed(&r[1]), "/description");
    assert!(notice.contains(&format!("<#{CHANNEL_ID}>")), "{notice}");
    let posted = channel_messages(&h, 1).await;
    assert_eq!(posted[0].channel(), Some(CHANNEL_ID.to_string().as_str()));
    assert_eq!(text(&embed(&posted[0]), "/title"), "Index rebuilt");
    assert!(text(&posted[0].body, "/content").contains(&format!("<@{ASKER}>")));
    h.stop().await;
}

fn vote_ids(r: &Request) -> Option<(String, String)> {
    let ids = r.custom_ids();
    let up = ids.iter().find(|c| c.starts_with("fb:up:"))?.clone();
    let down = ids.iter().find(|c| c.starts_with("fb:down:"))?.clone();
    Some((up, down))
}

/// A click answered by an ephemeral "Thanks" (type 4).
async fn thanked(h: &Harness, custom_id: &str, message: &Value, user: u64) {
    let c = h.fake.click(custom_id, message, user);
    h.fake.dispatch(&c);
    let r = h.fake.wait_for_interaction(&c, 1, WAIT).await.unwrap();
    assert_eq!(r[0].callback_type(), Some(4), "{:?}", r[0].body);
    assert!(r[0].is_ephemeral(), "{:?}", r[0].body);
    assert!(
        text(&r[0].body, "/data/content").starts_with("Thanks"),
        "{:?}",
        r[0].body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_has_vote_buttons_and_a_down_vote_and_a_miss_show_in_gaps() {
    let h = Harness::start(|_| {}).await;
    let (i, reqs) = ask(&h, QUESTION, ASKER, false).await;
    let first = answer_msg(&reqs);
    let (up, down) = vote_ids(first).expect("👍/👎 on a recorded answer");
    assert_eq!(up["fb:up:".len()..], down["fb:down:".len()..]);
    assert_eq!(up["fb:up:".len()..].len(), 16);
    let message = h.fake.message_from(&first.body, Some(&i));

    // Paging keeps the buttons and records nothing more.
    let more = more_button(first).expect("More results");
    let c = h.fake.click(&more, &message, ASKER);
    h.fake.dispatch(&c);
    let r = h.fake.wait_for_interaction(&c, 2, WAIT).await.unwrap();
    let page2 = r.iter().find(|r| r.is_edit_original()).unwrap();
    assert_eq!(vote_ids(page2), Some((up.clone(), down.clone())));

    // Anyone may vote; a person's later vote replaces their earlier one.
    thanked(&h, &up, &message, OTHER).await;
    thanked(&h, &up, &message, ASKER).await;
    // 👎 opens a modal (type 9) asking what they were looking for.
    let c = h.fake.click(&down, &message, ASKER);
    h.fake.dispatch(&c);
    let r = h.fake.wait_for_interaction(&c, 1, WAIT).await.unwrap();
    assert_eq!(r[0].callback_type(), Some(9), "{:?}", r[0].body);
    let modal = &r[0].body["data"];
    let id = &up["fb:up:".len()..];
    assert_eq!(modal["custom_id"], format!("fb:why:{id}"), "{modal}");
    assert!(modal["title"].as_str().is_some_and(|t| !t.is_empty()));
    let input = &modal["components"][0]["components"][0];
    assert_eq!(modal["components"][0]["type"], 1, "{modal}");
    assert_eq!(input["type"], 4, "{input}");
    assert_eq!(input["style"], 2, "paragraph: {input}");
    assert_eq!(input["label"], "What were you looking for?");
    assert_eq!(input["max_length"], rolefaq::store::MAX_VOTE_TEXT);
    let input_id = input["custom_id"].as_str().unwrap().to_string();
    let m = h.fake.modal_submit(
        &format!("fb:why:{id}"),
        &[(&input_id, "who signs off security budgets")],
        ASKER,
    );
    h.fake.dispatch(&m);
    let r = h.fake.wait_for_interaction(&m, 1, WAIT).await.unwrap();
    assert_eq!(r[0].callback_type(), Some(4), "{:?}", r[0].body);
    assert!(r[0].is_ephemeral());
    assert!(text(&r[0].body, "/data/content").starts_with("Thanks"));

    // A question the corpus does not answer.
    let (_, reqs) = ask(&h, "who decides the cafeteria menu?", OTHER, false).await;
    assert!(vote_ids(answer_msg(&reqs)).is_some());

    let svc = h.service();
    assert!(svc.flush_records(Duration::from_secs(10)));
    let report = svc.gaps(7).unwrap();
    assert_eq!(report.questions, 2, "paging records nothing: {report:?}");
    assert_eq!(report.answered, 1);
    assert_eq!((report.votes_up, report.votes_down), (1, 1), "{report:?}");
    let with = |q: &str| {
        report
            .groups
            .iter()
            .find(|g| g.questions.iter().any(|w| w == q))
            .unwrap_or_else(|| panic!("{q} not in {report:?}"))
    };
    let voted = with(QUESTION);
    assert_eq!((voted.count, voted.down_votes, voted.askers), (1, 1, 1));
    assert_eq!(
        voted.comments,
        ["who signs off security budgets"],
        "{voted:?}"
    );
    let missed = with("who decides the cafeteria menu?");
    assert_eq!((missed.count, missed.unanswered), (1, 1));
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_recording_off_answers_have_no_vote_buttons_and_nothing_is_recorded() {
    let h = Harness::start(|s| s.store.enabled = false).await;
    let (_, reqs) = ask(&h, QUESTION, ASKER, false).await;
    let a = answer_msg(&reqs);
    assert!(!a.custom_ids().is_empty(), "other buttons stay: {a:?}");
    assert_eq!(vote_ids(a), None, "{a:?}");
    let svc = h.service();
    assert!(svc.flush_records(Duration::from_secs(5)));
    assert!(svc.recorded(7).unwrap().is_empty());
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gaps_is_refused_for_a_non_admin_and_shows_an_admin_the_missed_questions() {
    let h = Harness::start(|_| {}).await;
    let (_, reqs) = ask(&h, "who decides the cafeteria menu?", OTHER, false).await;
    assert!(vote_ids(answer_msg(&reqs)).is_some());
    assert!(h.service().flush_records(Duration::from_secs(10)));

    // Not a home server and no admin role: refused privately.
    let i = h
        .fake
        .in_guild(h.fake.command("gaps", &[], OTHER, &[], 0), OTHER_GUILD_ID);
    h.fake.dispatch(&i);
    let r = h.fake.wait_for_interaction(&i, 1, WAIT).await.unwrap();
    assert_eq!(r[0].callback_type(), Some(4));
    assert!(r[0].is_ephemeral());
    assert!(text(&embed(&r[0]), "/description").contains("not one of the bot's home servers"));
    assert!(!text(&embed(&r[0]), "/description").contains("cafeteria"));

    // An admin (by role): the report, ephemerally.
    let i = h
        .fake
        .command("gaps", &[("days", 4, json!(7))], ASKER, &[ADMIN_ROLE_ID], 0);
    h.fake.dispatch(&i);
    let reqs = answered(&h, &i).await;
    assert!(reqs[0].is_ephemeral(), "{:?}", reqs[0].body);
    let e = embed(answer_msg(&reqs));
    assert!(text(&e, "/title").contains("last 7 days"), "{e}");
    assert!(text(&e, "/description").starts_with("1 questions"), "{e}");
    let field = &e["fields"][0];
    assert!(
        text(field, "/name").starts_with("1 questions · 1 askers · 1 unanswered"),
        "{e}"
    );
    assert!(
        text(field, "/value").contains("who decides the cafeteria menu?"),
        "{e}"
    );
    h.stop().await;
}

/// `/sources add` with an attachment hosted by the fake's CDN, as Discord sends it:
/// a SUB_COMMAND option holding an ATTACHMENT option whose value is the id of an
/// attachment in `data.resolved.attachments`.
fn sources_add(
    h: &Harness,
    filename: &str,
    bytes: &[u8],
    user: u64,
    roles: &[u64],
    perms: u64,
) -> Value {
    let attachment = h.fake.host_attachment(filename, bytes);
    let id = attachment["id"].as_str().unwrap().to_string();
    let mut i = h.fake.command("sources", &[], user, roles, perms);
    i["data"]["options"] = json!([{
        "name": "add",
        "type": 1,
        "options": [{"name": "file", "type": 11, "value": id}]
    }]);
    i["data"]["resolved"] = json!({ "attachments": { id: attachment } });
    i
}

fn sources_remove(h: &Harness, doc: &str, user: u64, roles: &[u64]) -> Value {
    let mut i = h.fake.command("sources", &[], user, roles, 0);
    i["data"]["options"] = json!([{
        "name": "remove",
        "type": 1,
        "options": [{"name": "id", "type": 3, "value": doc}]
    }]);
    i
}

/// The last message answering a deferred interaction (its final edit).
async fn deferred_result(h: &Harness, i: &Value) -> Request {
    let r = h
        .fake
        .wait_for_interaction(i, 2, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(r[0].callback_type(), Some(5), "deferred: {:?}", r[0].body);
    assert!(r[0].is_ephemeral());
    r.into_iter()
        .rev()
        .find(Request::is_edit_original)
        .expect("an edit")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_adds_a_document_from_an_attachment_and_removes_it_and_others_cannot() {
    const ADMIN_CHANNEL: u64 = 900_000_000_000_000_078;
    let h = Harness::start(|s| s.discord.admin_channel_id = Some(ADMIN_CHANNEL)).await;
    let doc = b"# The CSO role\n\nThe Chief Sustainability Officer reports carbon targets to the board every quarter.\n";
    let q = "who reports carbon targets to the board?";
    let (_, before) = ask(&h, q, OTHER, false).await;
    assert!(!format!("{:?}", answer_msg(&before).body).contains("Sustainability Officer"));

    // A member without ADMINISTRATOR in a home server: refused at once, nothing written.
    let i = sources_add(&h, "cso.md", doc, OTHER, &[], 0);
    h.fake.dispatch(&i);
    let r = h.fake.wait_for_interaction(&i, 1, WAIT).await.unwrap();
    assert_eq!(r[0].callback_type(), Some(4));
    assert!(r[0].is_ephemeral());
    assert!(
        text(&embed(&r[0]), "/description").contains("Only administrators"),
        "{:?}",
        r[0].body
    );
    assert!(!h.settings.corpus.dir.join("cso.md").exists());

    // An administrator: deferred privately, downloaded, validated, written, rebuilt.
    let i = sources_add(&h, "cso role.md", doc, ASKER, &[], 8);
    h.fake.dispatch(&i);
    let done = deferred_result(&h, &i).await;
    let e = embed(&done);
    assert_eq!(text(&e, "/title"), "Document added", "{e}");
    assert!(text(&e, "/description").contains("`cso-role`"), "{e}");
    assert!(
        text(&e, "/description").contains("titled “The CSO role”"),
        "{e}"
    );
    assert!(h.settings.corpus.dir.join("cso-role.md").exists());
    let (_, after) = ask(&h, q, OTHER, false).await;
    assert!(
        format!("{:?}", answer_msg(&after).body).contains("Sustainability Officer"),
        "answered from the new document"
    );
    let posted = channel_messages(&h, 1).await;
    assert_eq!(
        posted[0].channel(),
        Some(ADMIN_CHANNEL.to_string().as_str())
    );
    assert!(text(&posted[0].body, "/content").contains(&format!("<@{ASKER}>")));
    assert_eq!(
        posted[0].body["allowed_mentions"]["parse"],
        json!([]),
        "no pings"
    );

    // A file that does not load: the reason, privately; the corpus unchanged.
    let i = sources_add(
        &h,
        "broken.pdf",
        b"%PDF-1.4 not really",
        ASKER,
        &[ADMIN_ROLE_ID],
        0,
    );
    h.fake.dispatch(&i);
    let e = embed(&deferred_result(&h, &i).await);
    assert!(
        text(&e, "/description").contains("cannot be read as a corpus document"),
        "{e}"
    );
    assert!(!h.settings.corpus.dir.join("broken.pdf").exists());

    // Remove it again (by role); the answer goes with it.
    let i = sources_remove(&h, "cso-role", ASKER, &[ADMIN_ROLE_ID]);
    h.fake.dispatch(&i);
    let e = embed(&deferred_result(&h, &i).await);
    assert_eq!(text(&e, "/title"), "Document removed", "{e}");
    assert!(text(&e, "/description").contains(".removed"), "{e}");
    assert!(
        !text(&e, "/description").contains(h.settings.corpus.dir.to_str().unwrap()),
        "no server paths: {e}"
    );
    assert!(!h.settings.corpus.dir.join("cso-role.md").exists());
    let (_, gone) = ask(&h, q, OTHER, false).await;
    assert!(!format!("{:?}", answer_msg(&gone).body).contains("Sustainability Officer"));
    let i = sources_remove(&h, "no-such-doc", ASKER, &[ADMIN_ROLE_ID]);
    h.fake.dispatch(&i);
    let e = embed(&deferred_result(&h, &i).await);
    assert!(
        text(&e, "/description").contains("no corpus document has the id"),
        "{e}"
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attachment_larger_than_the_limit_or_off_discords_hosts_is_not_downloaded() {
    let h = Harness::start(|s| s.discord.max_upload_bytes = 2048).await;
    let i = sources_add(&h, "big.txt", &[b'a'; 4096], ASKER, &[ADMIN_ROLE_ID], 0);
    h.fake.dispatch(&i);
    let r = h.fake.wait_for_interaction(&i, 1, WAIT).await.unwrap();
    assert_eq!(r[0].callback_type(), Some(4));
    assert!(
        text(&embed(&r[0]), "/description").contains("at most 2048 bytes"),
        "{:?}",
        r[0].body
    );
    // An attachment whose URL points elsewhere (here: not loopback, as test mode requires).
    let mut i = sources_add(
        &h,
        "x.md",
        b"# T\n\nSome words about roles.",
        ASKER,
        &[ADMIN_ROLE_ID],
        0,
    );
    let id = i["data"]["options"][0]["options"][0]["value"]
        .as_str()
        .unwrap()
        .to_string();
    i["data"]["resolved"]["attachments"][&id]["url"] =
        json!("https://cdn.discordapp.com/attachments/1/2/x.md");
    h.fake.dispatch(&i);
    let e = embed(&deferred_result(&h, &i).await);
    assert!(
        text(&e, "/description").contains("not one of Discord's attachment hosts"),
        "{e}"
    );
    // The size Discord reported was small, the file is not: the download stops at the cap.
    let mut i = sources_add(&h, "liar.txt", &[b'b'; 8192], ASKER, &[ADMIN_ROLE_ID], 0);
    let id = i["data"]["options"][0]["options"][0]["value"]
        .as_str()
        .unwrap()
        .to_string();
    i["data"]["resolved"]["attachments"][&id]["size"] = json!(100);
    h.fake.dispatch(&i);
    let e = embed(&deferred_result(&h, &i).await);
    assert!(
        text(&e, "/description").contains("at most 2048 bytes"),
        "{e}"
    );
    assert!(!h.settings.corpus.dir.join("liar.txt").exists());
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gaps_attaches_the_answer_rate_chart_as_a_png_the_embed_shows() {
    let h = Harness::start(|_| {}).await;
    ask(&h, "who decides the cafeteria menu?", OTHER, false).await;
    ask(&h, QUESTION, OTHER, false).await;
    assert!(h.service().flush_records(Duration::from_secs(10)));
    let i = h
        .fake
        .command("gaps", &[("days", 4, json!(7))], ASKER, &[ADMIN_ROLE_ID], 0);
    h.fake.dispatch(&i);
    let reqs = answered(&h, &i).await;
    let msg = answer_msg(&reqs);
    assert_eq!(msg.files.len(), 1, "one file uploaded: {:?}", msg.body);
    let f = &msg.files[0];
    assert_eq!(f.filename, "answer-rate.png");
    assert!(f.bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    assert_eq!(
        text(&embed(msg), "/image/url"),
        "attachment://answer-rate.png"
    );
    // Discord's multipart form: the JSON names the file it carries.
    let data = msg.body.get("data").unwrap_or(&msg.body);
    assert_eq!(
        data["attachments"][0]["filename"], "answer-rate.png",
        "{data}"
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_corpus_watchers_rebuilds_are_reported_in_the_admin_channel() {
    const ADMIN_CHANNEL: u64 = 900_000_000_000_000_079;
    let h = Harness::start(|s| s.discord.admin_channel_id = Some(ADMIN_CHANNEL)).await;
    let svc = h.service();
    let watcher = rolefaq::watch::spawn(
        svc.clone(),
        &rolefaq::config::WatchSettings {
            enabled: true,
            settle_ms: 100,
            poll_secs: 1,
        },
        |_| {},
    )
    .unwrap();
    std::fs::write(
        h.settings.corpus.dir.join("cso.md"),
        "---\ntitle: CSO\n---\nThe Chief Sustainability Officer reports carbon targets to the board.\n",
    )
    .unwrap();
    let posted = h
        .fake
        .wait_for(1, Duration::from_secs(60), Request::is_channel_message)
        .await
        .unwrap();
    assert_eq!(
        posted[0].channel(),
        Some(ADMIN_CHANNEL.to_string().as_str())
    );
    let e = embed(&posted[0]);
    assert_eq!(text(&e, "/title"), "Index rebuilt automatically", "{e}");
    assert!(text(&e, "/fields/0/value").contains("cso"), "{e}");
    // A file that breaks: reported as failed, the previous index keeps serving.
    std::fs::write(h.settings.corpus.dir.join("cso.md"), [0u8, 159, 146, 150]).unwrap();
    let posted = h
        .fake
        .wait_for(2, Duration::from_secs(60), Request::is_channel_message)
        .await
        .unwrap();
    let e = embed(&posted[1]);
    assert_eq!(text(&e, "/title"), "Automatic rebuild failed", "{e}");
    assert!(
        text(&e, "/description").contains("previous index keeps serving"),
        "{e}"
    );
    assert!(svc.sources().iter().any(|s| s.id == "cso"));
    tokio::task::spawn_blocking(move || watcher.stop())
        .await
        .unwrap();
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missed_questions_from_every_entry_point_and_a_dismissed_modal_show_in_the_clis_gaps() {
    let h = Harness::start(|_| {}).await;
    // The same missed question three ways: /ask, an @mention, the message command.
    let (i, reqs) = ask(&h, "who decides the cafeteria menu?", OTHER, false).await;
    let first = answer_msg(&reqs);
    let (_, down) = vote_ids(first).expect("vote buttons");
    let m = h.fake.user_message(
        &format!("<@{BOT_ID}> who decides on the cafeteria menu"),
        ASKER,
        true,
    );
    h.fake.dispatch_message(&m);
    channel_messages(&h, 1).await;
    let target = h.fake.user_message(
        "which person decides the cafeteria menu",
        400_000_000_000_000_333,
        true,
    );
    let c = h.fake.message_command("Ask rolefaq", &target, ASKER);
    h.fake.dispatch(&c);
    answered(&h, &c).await;
    // 👎 on the /ask answer, the modal dismissed: the plain down vote stays.
    let message = h.fake.message_from(&first.body, Some(&i));
    let click = h.fake.click(&down, &message, ASKER);
    h.fake.dispatch(&click);
    let r = h.fake.wait_for_interaction(&click, 1, WAIT).await.unwrap();
    assert_eq!(r[0].callback_type(), Some(9));

    let svc = h.service();
    assert!(svc.flush_records(Duration::from_secs(10)));
    let mut entries: Vec<String> = svc
        .recorded(7)
        .unwrap()
        .iter()
        .map(|q| q.record.entry_point.as_str().to_string())
        .collect();
    entries.sort();
    assert_eq!(entries, ["context_menu", "mention", "slash"]);

    // What the corpus owner runs: `rolefaq gaps --json` on the same store.
    let report = crate::common::json_of(
        assert_cmd::Command::cargo_bin("rolefaq")
            .unwrap()
            .env_remove("ROLEFAQ_CONFIG")
            .env_remove("ROLEFAQ_STORE_KEY")
            .env("ROLEFAQ_TEST_MODE", "1")
            .env("ROLEFAQ__MODEL__ENABLED", "false")
            .env("ROLEFAQ__STORE__PATH", h.settings.store_path())
            .env(
                "XDG_CONFIG_HOME",
                h.settings.index.dir.join("no-user-config"),
            )
            .arg("--corpus")
            .arg(&h.settings.corpus.dir)
            .arg("--index")
            .arg(&h.settings.index.dir)
            .args(["gaps", "--json", "--days", "7"]),
    );
    assert_eq!(report["questions"], 3, "{report}");
    assert_eq!(report["votes_down"], 1, "{report}");
    let groups = report["groups"].as_array().unwrap();
    assert_eq!(
        groups.len(),
        1,
        "the three wordings are one group: {report}"
    );
    let g = &groups[0];
    assert_eq!(g["count"], 3, "{g}");
    assert_eq!(g["askers"], 2, "{g}");
    assert_eq!(g["down_votes"], 1, "{g}");
    assert_eq!(
        g["comments"],
        json!([]),
        "a dismissed modal leaves no text: {g}"
    );
    let wordings = g["questions"].to_string();
    for w in [
        "who decides the cafeteria menu?",
        "who decides on the cafeteria menu",
        "which person decides the cafeteria menu",
    ] {
        assert!(wordings.contains(w), "{w} in {g}");
    }
    h.stop().await;
}

/// The page state of the answer whose "More results" is `more` is in the shared
/// store (it is written in the background, right after the answer).
async fn stored(h: &Harness, more: &str) {
    let key = more["rf:more:".len()..]
        .split(':')
        .next()
        .unwrap()
        .to_string();
    let svc = h.service();
    for _ in 0..200 {
        let (svc, k) = (svc.clone(), format!("page:{key}"));
        let found = tokio::task::spawn_blocking(move || svc.load_button_state(&k))
            .await
            .unwrap();
        if matches!(found, Ok(Some(_))) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the page state of {more} never reached the store");
}

/// Two bot processes' worth of state (each its own fake Discord, index and memory)
/// sharing one store: an answer from the first, its buttons clicked on the second.
async fn buttons_work_on_another_replica(share: impl Fn(&mut rolefaq::config::Settings) + Clone) {
    let one = Harness::start(share.clone()).await;
    let two = Harness::start(share).await;
    let (i, reqs) = ask(&one, QUESTION, ASKER, false).await;
    let first = answer_msg(&reqs);
    let more = more_button(first).expect("More results");
    stored(&one, &more).await;
    let message = one.fake.message_from(&first.body, Some(&i));

    // Someone else's click on the other replica: refused as on the first.
    let c = two.fake.click(&more, &message, OTHER);
    two.fake.dispatch(&c);
    let r = two.fake.wait_for_interaction(&c, 1, WAIT).await.unwrap();
    assert!(r[0].is_ephemeral(), "{:?}", r[0].body);
    assert!(text(&r[0].body, "/data/embeds/0/description").contains("Only the person who asked"));

    // The asker's click there: page 2, not "expired".
    let c = two.fake.click(&more, &message, ASKER);
    two.fake.dispatch(&c);
    let r = two.fake.wait_for_interaction(&c, 2, WAIT).await.unwrap();
    assert_eq!(
        r[0].callback_type(),
        Some(6),
        "acknowledged: {:?}",
        r[0].body
    );
    let page2 = r
        .iter()
        .find(|r| r.is_edit_original())
        .expect("the page's edit");
    let e = embed(page2);
    assert_eq!(text(&e, "/title"), QUESTION, "{e}");
    assert!(!format!("{e}").contains("expired"), "{e}");
    assert_ne!(e, embed(first), "another page");

    // A private answer's Share, clicked on both replicas: posted once.
    let (i, reqs) = ask(&one, QUESTION, ASKER, true).await;
    let private = answer_msg(&reqs);
    let share_id = private
        .custom_ids()
        .into_iter()
        .find(|c| c.starts_with("rf:share:"))
        .expect("Share");
    stored(&one, &more_button(private).expect("More results")).await;
    let message = one.fake.message_from(&private.body, Some(&i));
    let c = two.fake.click(&share_id, &message, ASKER);
    two.fake.dispatch(&c);
    two.fake
        .wait_for(1, WAIT, |r| r.is_followup() && !r.is_ephemeral())
        .await
        .expect("shared publicly from the second replica");
    let c = one.fake.click(&share_id, &message, ASKER);
    one.fake.dispatch(&c);
    let r = one.fake.wait_for_interaction(&c, 1, WAIT).await.unwrap();
    assert!(r[0].is_ephemeral());
    assert!(
        text(&r[0].body, "/data/embeds/0/description").contains("already shared"),
        "{:?}",
        r[0].body
    );
    one.stop().await;
    two.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_results_and_share_work_on_another_process_sharing_the_sqlite_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shared.sqlite");
    buttons_work_on_another_replica(move |s| s.store.path = Some(db.clone())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_results_and_share_work_on_another_replica_sharing_postgresql() {
    let Some(schema) = tokio::task::spawn_blocking(|| crate::pg::schema("replicas"))
        .await
        .unwrap()
    else {
        return;
    };
    let url = schema.url.clone();
    buttons_work_on_another_replica(move |s| {
        s.store.url = Some(rolefaq::config::Secret::new(url.clone()))
    })
    .await;
    // the schema is dropped with a blocking client: off the runtime's threads
    tokio::task::spawn_blocking(move || drop(schema))
        .await
        .unwrap();
}
