//! Questions that ask for a figure: "how much does a fractional CTO charge",
//! "how many CPOs become CEO", "how long does a CISO stay", "how often should
//! the CISO brief the board", "what year was the first CTO appointed", "the
//! average CIO salary". Their answer is a number, a duration, a frequency or
//! a year; a passage that gives none (however close its topic) does not
//! answer them, and a corpus of roles and responsibilities often has none.
//! The words that frame the figure ([`framing`]) are not what it is a figure
//! of: "per month" is the unit of "how much does a fractional CISO cost".

/// The kind of figure a question asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figure {
    /// How much, how many, what share.
    Amount,
    /// How long.
    Duration,
    /// How often.
    Frequency,
    /// What year, which decade.
    Year,
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

/// Words of a figure question that belong to the figure rather than to what
/// it is a figure of: the question words, statistics, units of time and rate.
const FRAMING_WORDS: &[&str] = &[
    "how",
    "much",
    "many",
    "long",
    "often",
    "frequently",
    "percentage",
    "percent",
    "proportion",
    "fraction",
    "share",
    "number",
    "amount",
    "average",
    "avg",
    "typical",
    "typically",
    "usually",
    "normally",
    "normal",
    "median",
    "mean",
    "per",
    "hour",
    "hours",
    "day",
    "days",
    "week",
    "weeks",
    "month",
    "months",
    "quarter",
    "quarters",
    "year",
    "years",
    "decade",
    "decades",
    "century",
];

/// Whether a question word belongs to the figure it asks for ("how", "long",
/// "average", "month") rather than to its subject.
pub fn framing(word: &str) -> bool {
    FRAMING_WORDS.contains(&word.to_lowercase().as_str())
}

fn words(text: &str) -> Vec<String> {
    crate::text::words(text).map(str::to_lowercase).collect()
}

/// The figure two words in a row ask for ("how long", "what year"), if they
/// ask for one; both lower-case.
pub fn pair(first: &str, second: &str) -> Option<Figure> {
    match (first, second) {
        ("how", "much" | "many") => Some(Figure::Amount),
        ("what", "percentage" | "percent" | "proportion" | "fraction") => Some(Figure::Amount),
        ("how", "long") => Some(Figure::Duration),
        ("how", "often" | "frequently") => Some(Figure::Frequency),
        ("what" | "which", "year" | "years" | "decade" | "century") => Some(Figure::Year),
        _ => None,
    }
}

/// The figure `question` asks for, if it asks for one.
pub fn asked(question: &str) -> Option<Figure> {
    let w = words(question);
    let asked = w.windows(2).find_map(|p| pair(&p[0], &p[1]));
    // a statistic ("the average tenure", "avg salary") is a figure too,
    // unless it only ranks ("above average")
    let statistic = || {
        w.iter().enumerate().any(|(i, x)| {
            matches!(x.as_str(), "average" | "avg" | "median")
                && !(i > 0 && matches!(w[i - 1].as_str(), "above" | "below"))
        })
    };
    asked.or_else(|| statistic().then_some(Figure::Amount))
}

/// A year or a decade as written: "1982", "1980s", "80s".
fn is_year(w: &str) -> bool {
    let digits = w.strip_suffix('s').unwrap_or(w);
    !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit())
        && match digits.len() {
            4 => digits
                .parse::<u32>()
                .is_ok_and(|y| (1000..=2199).contains(&y)),
            2 => w.ends_with('s') && digits.ends_with('0'),
            _ => false,
        }
}

/// Whether `text` states a figure of kind `f`: a number in digits or words,
/// for a frequency also a word such as "quarterly" or "every", and for a year
/// a year or a decade.
pub fn states(f: Figure, text: &str) -> bool {
    if f == Figure::Year {
        return words(text).iter().any(|w| is_year(w));
    }
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
        assert_eq!(
            asked("what year was the first CTO appointed"),
            Some(Figure::Year)
        );
        assert_eq!(
            asked("in which decade did the cio role appear"),
            Some(Figure::Year)
        );
        assert_eq!(
            asked("average tenure of a cio before they move on?"),
            Some(Figure::Amount)
        );
        assert_eq!(asked("avg cfo salary"), Some(Figure::Amount));
        assert_eq!(asked("what is the median CTO age"), Some(Figure::Amount));
        assert_eq!(asked("is our CIO above average at governance"), None);
        assert_eq!(asked("what does CIO mean"), None);
        assert_eq!(asked("who owns security?"), None);
        assert_eq!(asked("when should we hire a CTO"), None);
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

    #[test]
    fn the_figures_own_words_are_framing_not_its_subject() {
        for w in ["how", "Long", "average", "per", "month", "years"] {
            assert!(framing(w), "{w}");
        }
        for w in ["cost", "tenure", "board", "fractional", "equity"] {
            assert!(!framing(w), "{w}");
        }
    }

    #[test]
    fn a_year_is_four_digits_or_a_decade() {
        assert!(states(Figure::Year, "The role emerged in the early 1980s."));
        assert!(states(Figure::Year, "first appointed in 1987, at a bank"));
        assert!(states(Figure::Year, "popular since the 90s"));
        assert!(!states(
            Figure::Year,
            "five years, 40 people, 300 questions"
        ));
        assert!(!states(Figure::Year, "a 90-day plan"));
        assert!(!states(Figure::Year, "The CTO builds the product."));
    }
}
