//! Questions that ask for a figure: "how much does a fractional CTO charge",
//! "how many CPOs become CEO", "how long does a CISO stay", "how often should
//! the CISO brief the board". Their answer is a number, a duration or a
//! frequency; a passage that gives none (however close its topic) does not
//! answer them, and a corpus of roles and responsibilities often has none.

/// The kind of figure a question asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figure {
    /// How much, how many, what share.
    Amount,
    /// How long.
    Duration,
    /// How often.
    Frequency,
}

/// Number words that state an amount. Not "one" (a pronoun as often as a
/// number), "first" or "third" ("third-party") — ordinals are not amounts.
const NUMBER_WORDS: &[&str] = &[
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "fifteen",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "hundred",
    "hundreds",
    "thousand",
    "thousands",
    "million",
    "millions",
    "billion",
    "billions",
    "dozen",
    "dozens",
    "half",
    "percent",
    "twice",
    "double",
];

/// Words that state how often.
const FREQUENCY_WORDS: &[&str] = &[
    "daily",
    "weekly",
    "fortnightly",
    "biweekly",
    "monthly",
    "quarterly",
    "annually",
    "annual",
    "yearly",
    "every",
    "once",
    "twice",
];

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The figure `question` asks for, if it asks for one.
pub fn asked(question: &str) -> Option<Figure> {
    let w = words(question);
    w.windows(2)
        .find_map(|p| match (p[0].as_str(), p[1].as_str()) {
            ("how", "much" | "many") => Some(Figure::Amount),
            ("what", "percentage" | "percent" | "proportion" | "fraction") => Some(Figure::Amount),
            ("how", "long") => Some(Figure::Duration),
            ("how", "often" | "frequently") => Some(Figure::Frequency),
            _ => None,
        })
}

/// Whether `text` states a figure of kind `f`: a number in digits or words,
/// and for a frequency also a word such as "quarterly" or "every".
pub fn states(f: Figure, text: &str) -> bool {
    words(text).iter().any(|w| {
        w.chars().any(|c| c.is_ascii_digit())
            || NUMBER_WORDS.contains(&w.as_str())
            || (f == Figure::Frequency && FREQUENCY_WORDS.contains(&w.as_str()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_asking_for_a_figure_are_told_apart() {
        assert_eq!(
            asked("How much does a fractional CTO charge?"),
            Some(Figure::Amount)
        );
        assert_eq!(
            asked("how many CPOs go on to become CEO"),
            Some(Figure::Amount)
        );
        assert_eq!(
            asked("what percentage of firms have a CIO"),
            Some(Figure::Amount)
        );
        assert_eq!(
            asked("how long does the average ciso stay"),
            Some(Figure::Duration)
        );
        assert_eq!(
            asked("how often shoud the ciso brief the board"),
            Some(Figure::Frequency)
        );
        assert_eq!(asked("who owns security?"), None);
        assert_eq!(asked("how does the CIO work with the CTO"), None);
        assert_eq!(asked(""), None);
    }

    #[test]
    fn a_figure_is_a_number_and_for_how_often_a_frequency_too() {
        assert!(states(Figure::Amount, "Tenure averages 4.3 years."));
        assert!(states(Figure::Duration, "most stay about five years"));
        assert!(states(Figure::Amount, "roughly half of them"));
        assert!(!states(
            Figure::Amount,
            "The CIO is one of the executives; third-party vendors"
        ));
        assert!(states(
            Figure::Frequency,
            "brief the board at least quarterly"
        ));
        assert!(!states(
            Figure::Amount,
            "brief the board at least quarterly"
        ));
        assert!(!states(Figure::Frequency, "The CISO briefs the board."));
    }
}
