//! The keyword taxonomy behind `/compare`: aspects (rows of a comparison) and
//! claims (responsibilities whose attribution to a role can differ between sources).
//!
//! This is data. A keyword is one or more lower-case words matched as whole,
//! consecutive words; a trailing `*` makes the last word a prefix ("collaborat*"
//! matches "collaborates", "collaboration"). A keyword scores its number of words,
//! so "technology orientation" beats "orientation".

/// One row kind of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AspectDef {
    pub name: &'static str,
    pub keywords: &'static [&'static str],
}

/// A responsibility term whose owner sources may disagree about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimDef {
    /// Shown in disagreement summaries ("operations").
    pub name: &'static str,
    /// The aspect row a disagreement on this claim is attached to.
    pub aspect: &'static str,
    pub keywords: &'static [&'static str],
}

pub const ASPECTS: &[AspectDef] = &[
    AspectDef {
        name: "Focus and orientation",
        keywords: &[
            "focus*",
            "orientation",
            "oriented",
            "inward*",
            "outward*",
            "internal",
            "internally",
            "external",
            "externally",
            "facing",
            "direction",
            "mandate*",
            "domain*",
            "remit",
            "scope",
            "concentrates",
            "primarily",
            "closer to",
            "represents",
        ],
    },
    AspectDef {
        name: "Strategic objectives",
        keywords: &[
            "strategic objectives",
            "objective*",
            "goal*",
            "priorit*",
            "aim*",
            "emphasi*",
            "vision*",
            "mission",
            "strategic",
        ],
    },
    AspectDef {
        name: "Stakeholders and collaborators",
        keywords: &[
            "stakeholder*",
            "collaborat*",
            "partner*",
            "business units",
            "interaction*",
            "departments",
            "finance",
            "marketing",
            "sales",
            "customers",
            "clients",
            "employees",
            "vendors",
            "works with",
            "bridge",
        ],
    },
    AspectDef {
        name: "Team led",
        keywords: &[
            "team led",
            "team*",
            "helpdesk",
            "engineering teams",
            "development teams",
            "it department",
            "staff",
            "headcount",
            "led by",
        ],
    },
    AspectDef {
        name: "Success metrics",
        keywords: &[
            "success measured",
            "metric*",
            "measur*",
            "kpi*",
            "success",
            "scorecard",
            "roi",
            "indicators",
            "uptime",
            "satisfaction",
            "nps",
            "time to market",
            "effectiveness",
        ],
    },
    AspectDef {
        name: "Reporting line",
        keywords: &[
            "reporting line",
            "report*",
            "peers",
            "authority",
            "subordinate",
            "hierarchy",
            "same level",
            "organizational weight",
        ],
    },
    AspectDef {
        name: "Security and risk",
        keywords: &[
            "security",
            "cybersecurity",
            "secure*",
            "risk*",
            "compliance",
            "compliant",
            "regulat*",
            "privacy",
            "controls",
            "threat*",
        ],
    },
    AspectDef {
        name: "Technology orientation",
        keywords: &[
            "technology orientation",
            "emerging technologies",
            "new technologies",
            "existing technologies",
            "emerging",
            "technical roadmap",
            "technology roadmap",
            "roadmap*",
            "architect*",
            "platform*",
            "stack",
            "build*",
            "deploy*",
            "evaluat*",
            "trends",
            "technical",
            "technological",
        ],
    },
    AspectDef {
        name: "Innovation and product",
        keywords: &[
            "innovat*",
            "product*",
            "revenue*",
            "market*",
            "competit*",
            "differentiat*",
            "growth",
            "r&d",
            "experiment*",
        ],
    },
    AspectDef {
        name: "Operations and infrastructure",
        keywords: &[
            "operation*",
            "infrastructure",
            "systems",
            "reliab*",
            "service levels",
            "it services",
            "service management",
            "efficien*",
            "continuity",
            "stability",
            "stable",
            "dependable",
            "running",
        ],
    },
    AspectDef {
        name: "Data and governance",
        keywords: &[
            "data",
            "governance",
            "information management",
            "information strategy",
            "data quality",
            "lineage",
            "analytics",
            "policies",
        ],
    },
    AspectDef {
        name: "Change and adoption",
        keywords: &[
            "change management",
            "change agent",
            "adoption",
            "adopted",
            "transformation*",
            "modernization",
        ],
    },
    AspectDef {
        name: "Talent and skills",
        keywords: &[
            "talent",
            "skill*",
            "training",
            "hiring",
            "hire*",
            "culture",
            "mentor*",
            "learning",
            "workforce",
        ],
    },
];

pub const CLAIMS: &[ClaimDef] = &[
    ClaimDef {
        name: "operations",
        aspect: "Operations and infrastructure",
        keywords: &["operation", "operations", "operational", "day-to-day"],
    },
    ClaimDef {
        name: "infrastructure",
        aspect: "Operations and infrastructure",
        keywords: &["infrastructure"],
    },
    ClaimDef {
        name: "business-facing",
        aspect: "Focus and orientation",
        keywords: &[
            "closer to the business",
            "represents the business",
            "business value",
            "business requirements",
            "business efficiency",
            "business outcomes",
            "business goals",
            "business processes",
            "business strategy",
        ],
    },
    ClaimDef {
        name: "technical",
        aspect: "Technology orientation",
        keywords: &["technical", "technological", "engineering", "it teams"],
    },
    ClaimDef {
        name: "product",
        aspect: "Innovation and product",
        keywords: &["product", "products"],
    },
    ClaimDef {
        name: "innovation",
        aspect: "Innovation and product",
        keywords: &["innovation", "innovative", "innovate*"],
    },
    ClaimDef {
        name: "internal focus",
        aspect: "Focus and orientation",
        keywords: &["internal", "internally", "inward*"],
    },
    ClaimDef {
        name: "external focus",
        aspect: "Focus and orientation",
        keywords: &["external", "externally", "outward*", "market-facing"],
    },
    ClaimDef {
        name: "security",
        aspect: "Security and risk",
        keywords: &["security", "cybersecurity"],
    },
    ClaimDef {
        name: "data governance",
        aspect: "Data and governance",
        keywords: &["data governance", "governance"],
    },
];

/// Lower-case words of `text` (alphanumeric runs; "r&d" and "day-to-day" keep their
/// joiners so keywords written that way match).
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let joiner = (c == '&' || c == '-')
            && !cur.is_empty()
            && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
        if c.is_alphanumeric() || joiner {
            cur.extend(c.to_lowercase());
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    // Also offer the parts of hyphenated words ("inward-facing" → "inward", "facing").
    let mut expanded = Vec::with_capacity(out.len());
    for w in out {
        if w.contains('-') {
            expanded.push(w.clone());
            expanded.extend(w.split('-').filter(|p| !p.is_empty()).map(str::to_string));
        } else {
            expanded.push(w);
        }
    }
    expanded
}

fn word_matches(pattern: &str, word: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => word.starts_with(prefix),
        None => word == pattern,
    }
}

/// Does `keyword` occur in the word list?
pub fn keyword_in(keyword: &str, text_words: &[String]) -> bool {
    let kw: Vec<&str> = keyword.split_whitespace().collect();
    if kw.is_empty() || kw.len() > text_words.len() {
        return false;
    }
    text_words
        .windows(kw.len())
        .any(|win| win.iter().zip(&kw).all(|(w, p)| word_matches(p, w)))
}

/// Score of a keyword list on a text: the sum of word counts of the keywords found.
pub fn score(keywords: &[&str], text_words: &[String]) -> usize {
    keywords
        .iter()
        .filter(|k| keyword_in(k, text_words))
        .map(|k| k.split_whitespace().count())
        .sum()
}

/// Per-aspect scores of a text, indexed like [`ASPECTS`].
pub fn aspect_scores(text: &str) -> Vec<usize> {
    let w = words(text);
    ASPECTS.iter().map(|a| score(a.keywords, &w)).collect()
}

/// The best aspect of a text and its score (first in taxonomy order on ties).
pub fn best_aspect(scores: &[usize]) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize)> = None;
    for (i, &s) in scores.iter().enumerate() {
        if s > 0 && best.is_none_or(|(_, b)| s > b) {
            best = Some((i, s));
        }
    }
    best
}

/// Claims (indices into [`CLAIMS`]) a text makes.
pub fn claims(text: &str) -> Vec<usize> {
    let w = words(text);
    CLAIMS
        .iter()
        .enumerate()
        .filter(|(_, c)| score(c.keywords, &w) > 0)
        .map(|(i, _)| i)
        .collect()
}

pub fn aspect_index(name: &str) -> Option<usize> {
    ASPECTS.iter().position(|a| a.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_claim_points_at_an_aspect() {
        for c in CLAIMS {
            assert!(aspect_index(c.aspect).is_some(), "{}", c.aspect);
        }
    }

    #[test]
    fn table_labels_map_to_their_aspects() {
        let name = |label: &str| best_aspect(&aspect_scores(label)).map(|(i, _)| ASPECTS[i].name);
        assert_eq!(name("Primary focus"), Some("Focus and orientation"));
        assert_eq!(
            name("Key stakeholders"),
            Some("Stakeholders and collaborators")
        );
        assert_eq!(name("Team led"), Some("Team led"));
        assert_eq!(name("Typical reporting line"), Some("Reporting line"));
        assert_eq!(name("Success measured by"), Some("Success metrics"));
        assert_eq!(
            name("Technology orientation"),
            Some("Technology orientation")
        );
        assert_eq!(
            name("Interaction with Business Units"),
            Some("Stakeholders and collaborators")
        );
        assert_eq!(name("Strategic Objectives"), Some("Strategic objectives"));
        assert_eq!(name("Colour of the carpet"), None);
    }

    #[test]
    fn words_keep_joined_terms_and_parts() {
        let w = words("R&D and inward-facing, day-to-day.");
        assert!(w.contains(&"r&d".to_string()));
        assert!(w.contains(&"inward-facing".to_string()));
        assert!(w.contains(&"inward".to_string()));
        assert!(keyword_in("day-to-day", &w));
        assert!(keyword_in("inward*", &w));
        assert!(!keyword_in("outward*", &w));
    }

    #[test]
    fn claims_are_found_by_keyword() {
        let c: Vec<&str> = claims("strictly responsible for the operation of these systems")
            .into_iter()
            .map(|i| CLAIMS[i].name)
            .collect();
        assert_eq!(c, vec!["operations"]);
    }
}
