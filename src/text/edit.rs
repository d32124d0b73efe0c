//! What transforms produce: edits grouped into all-or-nothing fixes, and
//! findings that may carry one. Transforms never touch files or whole texts.

use ruff_text_size::{Ranged, TextRange, TextSize};
use serde::Serialize;

/// How much trust a transform or a single fix asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Safety {
    /// FastAPI behaves the same for every request: applied by default.
    Safe,
    /// Changes an API contract or needs a human look: applied with `--unsafe`.
    Unsafe,
    /// Applied only when named in `--select`.
    OptIn,
}

impl Safety {
    pub fn as_str(self) -> &'static str {
        match self {
            Safety::Safe => "safe",
            Safety::Unsafe => "unsafe",
            Safety::OptIn => "opt-in",
        }
    }
}

/// Replace the text in `range` with `content` (an empty range inserts).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Edit {
    range: TextRange,
    content: String,
}

impl Edit {
    pub fn replacement(content: impl Into<String>, range: TextRange) -> Self {
        Edit {
            range,
            content: content.into(),
        }
    }

    pub fn insertion(content: impl Into<String>, at: TextSize) -> Self {
        Edit {
            range: TextRange::empty(at),
            content: content.into(),
        }
    }

    pub fn deletion(range: TextRange) -> Self {
        Edit {
            range,
            content: String::new(),
        }
    }

    pub fn content(&self) -> &str {
        &self.content
    }

    pub fn is_insertion(&self) -> bool {
        self.range.is_empty()
    }

    /// Whether two edits touch the same text, so that applying both would
    /// depend on their order. Two insertions at one point conflict; an
    /// insertion at the end of a replaced range does not.
    pub fn conflicts_with(&self, other: &Edit) -> bool {
        if self.range.start() == other.range.start() {
            return true;
        }
        self.range.start() < other.range.end() && other.range.start() < self.range.end()
    }
}

impl Ranged for Edit {
    fn range(&self) -> TextRange {
        self.range
    }
}

/// Edits that must land together or not at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    /// What the fix does, in a few words, for reports.
    title: String,
    edits: Vec<Edit>,
    safety: Safety,
}

impl Fix {
    /// A fix from its edits; they are kept sorted by position.
    pub fn new(title: impl Into<String>, mut edits: Vec<Edit>, safety: Safety) -> Self {
        edits.sort_by_key(|edit| (edit.range.start(), edit.range.end()));
        edits.dedup();
        // Two insertions at one point (two new import lines) become one, in order.
        let mut merged: Vec<Edit> = Vec::with_capacity(edits.len());
        for edit in edits {
            match merged.last_mut() {
                Some(last)
                    if last.is_insertion() && edit.is_insertion() && last.range == edit.range =>
                {
                    // Two new sections at one place (each ending in a blank
                    // line) become one section.
                    for ending in ["\r\n", "\n", "\r"] {
                        let blank = format!("{ending}{ending}");
                        if last.content.ends_with(&blank) && edit.content.ends_with(&blank) {
                            last.content.truncate(last.content.len() - ending.len());
                            break;
                        }
                    }
                    last.content.push_str(&edit.content);
                }
                _ => merged.push(edit),
            }
        }
        let edits = merged;
        Fix {
            title: title.into(),
            edits,
            safety,
        }
    }

    pub fn title(&self) -> &str {
        &self.title
    }

    pub fn edits(&self) -> &[Edit] {
        &self.edits
    }

    pub fn safety(&self) -> Safety {
        self.safety
    }

    /// The position of the first edit, used to order fixes.
    pub fn start(&self) -> TextSize {
        self.edits
            .first()
            .map(|edit| edit.range.start())
            .unwrap_or_default()
    }
}

/// Something a transform noticed at a place in a file, with the fix it
/// proposes, if it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub transform: &'static str,
    pub range: TextRange,
    pub message: String,
    pub fix: Option<Fix>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(start: u32, end: u32) -> TextRange {
        TextRange::new(TextSize::new(start), TextSize::new(end))
    }

    #[test]
    fn conflicts() {
        let replace = Edit::replacement("x", range(2, 5));
        assert!(replace.conflicts_with(&Edit::insertion("y", TextSize::new(2))));
        assert!(replace.conflicts_with(&Edit::replacement("y", range(4, 8))));
        assert!(!replace.conflicts_with(&Edit::insertion("y", TextSize::new(5))));
        assert!(!replace.conflicts_with(&Edit::replacement("y", range(5, 8))));
        assert!(!replace.conflicts_with(&Edit::replacement("y", range(0, 2))));
    }
}
