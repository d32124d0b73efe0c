//! Applying fixes to a text: a small function that every transform relies on.
//!
//! Fixes are applied in order of position. An edit identical to one already
//! taken is dropped (two fixes may both add the same import); a fix with any
//! other edit touching text that an earlier fix changed waits for the next
//! pass, when the transforms run again on the new text.

use ruff_text_size::Ranged;

use crate::text::edit::{Edit, Fix};

/// The text after applying as many of `fixes` as fit together, and the
/// indices (into `fixes`) of those that were applied.
pub fn apply_fixes(text: &str, fixes: &[&Fix]) -> (String, Vec<usize>) {
    let mut order: Vec<usize> = (0..fixes.len()).collect();
    order.sort_by_key(|&index| fixes[index].start());

    let mut taken: Vec<&Edit> = Vec::new();
    let mut applied = Vec::new();
    for index in order {
        let fix = fixes[index];
        // A fix whose own edits overlap cannot be applied in any order: a
        // transform bug, refused rather than allowed to corrupt the text.
        let self_overlapping = fix.edits().windows(2).any(|pair| {
            pair[1].start() < pair[0].end()
                || (pair[0].start() == pair[1].start()
                    && pair[0].is_insertion() == pair[1].is_insertion()
                    && pair[0] != pair[1])
        });
        if self_overlapping {
            continue;
        }
        let new_edits: Vec<&Edit> = fix
            .edits()
            .iter()
            .filter(|edit| !taken.contains(edit))
            .collect();
        let conflicts = new_edits
            .iter()
            .any(|edit| taken.iter().any(|earlier| earlier.conflicts_with(edit)));
        if conflicts {
            continue;
        }
        taken.extend(new_edits);
        applied.push(index);
    }

    // Within one fix an insertion may share its start with a replacement;
    // the stable sort keeps the fix's own order for those.
    taken.sort_by_key(|edit| (edit.start(), edit.end()));
    let mut output = String::with_capacity(text.len());
    let mut cursor = 0usize;
    for edit in taken {
        let start = usize::from(edit.start());
        output.push_str(&text[cursor..start]);
        output.push_str(edit.content());
        cursor = usize::from(edit.end());
    }
    output.push_str(&text[cursor..]);
    applied.sort_unstable();
    (output, applied)
}

#[cfg(test)]
mod tests {
    use ruff_text_size::{TextRange, TextSize};

    use super::*;
    use crate::text::edit::Safety;

    fn fix(edits: &[(u32, u32, &str)]) -> Fix {
        let edits = edits
            .iter()
            .map(|&(start, end, content)| {
                Edit::replacement(
                    content,
                    TextRange::new(TextSize::new(start), TextSize::new(end)),
                )
            })
            .collect();
        Fix::new("test", edits, Safety::Safe)
    }

    #[test]
    fn applies_non_overlapping_fixes_in_order() {
        let first = fix(&[(0, 1, "A")]);
        let second = fix(&[(2, 3, "C")]);
        let (text, applied) = apply_fixes("abc", &[&second, &first]);
        assert_eq!(text, "AbC");
        assert_eq!(applied, vec![0, 1]);
    }

    #[test]
    fn identical_edits_are_applied_once() {
        let import = (0, 0, "import x\n");
        let first = fix(&[import, (4, 5, "1")]);
        let second = fix(&[import, (7, 8, "2")]);
        let (text, applied) = apply_fixes("a = b, c\n", &[&first, &second]);
        assert_eq!(text, "import x\na = 1, 2\n");
        assert_eq!(applied, vec![0, 1]);
    }

    #[test]
    fn an_overlapping_fix_waits_whole() {
        let first = fix(&[(0, 3, "xyz")]);
        let second = fix(&[(2, 4, "Q"), (6, 7, "Z")]);
        let (text, applied) = apply_fixes("abcdefg", &[&first, &second]);
        assert_eq!(text, "xyzdefg");
        assert_eq!(applied, vec![0]);
    }

    #[test]
    fn a_fix_whose_edits_overlap_is_refused() {
        let broken = fix(&[(0, 3, "x"), (1, 2, "y")]);
        let fine = fix(&[(4, 5, "E")]);
        let (text, applied) = apply_fixes("abcdef", &[&broken, &fine]);
        assert_eq!(text, "abcdEf");
        assert_eq!(applied, vec![1]);
    }

    #[test]
    fn insertion_before_replacement_in_one_fix() {
        let both = fix(&[(2, 3, "C"), (2, 2, "*, ")]);
        let (text, _) = apply_fixes("abc", &[&both]);
        assert_eq!(text, "ab*, C");
    }
}
