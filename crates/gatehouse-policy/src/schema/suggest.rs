//! "Did you mean ...?" for misspelled element and attribute names.

/// The candidate closest to `word`, when it is close enough to be a likely typo: within one
/// edit per three characters (at least one, at most three), letter case ignored.
pub(super) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let word = word.to_ascii_lowercase();
    let limit = (word.chars().count() / 3).clamp(1, 3);

    candidates
        .into_iter()
        .map(|candidate| {
            (
                edit_distance(&word, &candidate.to_ascii_lowercase()),
                candidate,
            )
        })
        .filter(|&(distance, _)| distance <= limit)
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
}

/// `" (did you mean x?)"` or nothing.
pub(super) fn hint<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(word, candidates)
        .map(|c| format!("; did you mean {c}?"))
        .unwrap_or_default()
}

/// Edits (insertions, deletions, substitutions and swaps of neighbours) between two words;
/// a swap counts once, because `darp` for `dapr` is one slip of the fingers.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut rows = vec![0usize; (a.len() + 1) * width];

    for (i, row) in rows.chunks_mut(width).enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows.iter_mut().take(width).enumerate() {
        *cell = j;
    }

    for i in 1..=a.len() {
        for j in 1..=b.len() {
            rows[i * width + j] = cell_cost(&rows, width, &a, &b, i, j);
        }
    }
    rows[a.len() * width + b.len()]
}

/// The optimal-string-alignment recurrence for cell `(i, j)`.
fn cell_cost(rows: &[usize], width: usize, a: &[char], b: &[char], i: usize, j: usize) -> usize {
    let at = |i: usize, j: usize| rows[i * width + j];
    let substitution = usize::from(a[i - 1] != b[j - 1]);
    let mut cost = (at(i - 1, j) + 1)
        .min(at(i, j - 1) + 1)
        .min(at(i - 1, j - 1) + substitution);

    let swapped = i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1];
    if swapped {
        cost = cost.min(at(i - 2, j - 2) + 1);
    }
    cost
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swapped_letters_count_as_one_edit() {
        assert_eq!(edit_distance("darp", "dapr"), 1);
        assert_eq!(
            edit_distance("invoke-darp-binding", "invoke-dapr-binding"),
            1
        );
    }

    #[test]
    fn distant_words_are_not_suggested() {
        let candidates = ["set-header", "set-body", "choose"];

        assert_eq!(closest("set-heder", candidates), Some("set-header"));
        assert_eq!(closest("Set-Header", candidates), Some("set-header"));
        assert_eq!(closest("rewrite", candidates), None);
    }
}
