//! `apply --interactive`: each fix shown as its hunk, with its transform
//! and message, and a question: `[y]es / [n]o / [a]ll of this transform /
//! [q]uit`. Only what was accepted is written.
//!
//! A project is run with every fix not yet declined, so the reviewer sees
//! the fixes as `apply` would make them, including those that only appear
//! once others landed; the fixes not yet decided are asked, and the
//! project runs again, until a run makes only accepted fixes. That run is
//! what is written. Fixes that must land together are asked as one: a
//! fix that defines a name other files' fixes rely on (an alias, a new
//! schema, an exception class) with those fixes, and a plan's whole-file
//! change (`.env`, a created module) with the fixes of its landing unit.
//! A declined definition is still safe: the engine then withdraws its
//! promise and the fixes that relied on it are not made.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Mutex;

use anyhow::Result;

use super::disk::DiskFiles;
use super::report::FileReport;
use crate::project::partition::Partition;
use crate::project::pipeline::{FixKey, FixReview, Mode, ReviewedFix};
use crate::project::plan::Promise;
use crate::project::run::{ChangeOutcome, ProjectFile, ProjectRun, process_project};
use crate::python::naming::mentions_identifier;
use crate::text::files::FileChange;

/// Rounds of asking per project before the undecided are declined.
const MAX_ROUNDS: usize = 50;

/// What a reviewer has decided so far, over the whole run.
#[derive(Debug)]
pub struct Review {
    colour: bool,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    fixes: HashMap<FixKey, bool>,
    changes: HashMap<(PathBuf, &'static str), bool>,
    /// Transforms whose every fix is accepted.
    all_of: HashSet<&'static str>,
    /// Undecided fixes apply, to be seen: every round but the last.
    exploring: bool,
    quit: bool,
    /// The groups accepted with `y`, to land whole or not at all.
    accepted: Vec<AcceptedGroup>,
    /// The fixes declined, by module, transform, title and occurrence.
    declined: HashSet<(String, &'static str, String, usize)>,
}

/// The fixes and whole-file changes of a group accepted as one.
#[derive(Debug, Default)]
struct AcceptedGroup {
    fixes: Vec<(FixKey, String)>,
    changes: Vec<(PathBuf, &'static str)>,
}

impl FixReview for Review {
    fn admits(&self, key: &FixKey) -> bool {
        let state = self.lock();
        match state.decision(key) {
            Some(accepted) => accepted,
            None => state.all_of.contains(key.transform) || state.exploring,
        }
    }
}

impl State {
    /// What was decided of a fix: of it exactly, or, for a "no", of the
    /// fix with its title in its module (the same fix, with other text
    /// around it once other fixes landed near it, is not asked again).
    fn decision(&self, key: &FixKey) -> Option<bool> {
        self.fixes.get(key).copied().or_else(|| {
            self.declined
                .contains(&(
                    key.module.clone(),
                    key.transform,
                    key.title.clone(),
                    key.occurrence,
                ))
                .then_some(false)
        })
    }

    fn decide(&mut self, key: &FixKey, accepted: bool) {
        self.fixes.insert(key.clone(), accepted);
        if !accepted {
            self.declined.insert((
                key.module.clone(),
                key.transform,
                key.title.clone(),
                key.occurrence,
            ));
        }
    }
}

/// Something to ask about: a fix of a file, or a whole-file change.
enum Item<'r> {
    Fix {
        path: &'r std::path::Path,
        fix: &'r ReviewedFix,
    },
    Change(&'r ChangeOutcome),
}

impl Item<'_> {
    fn transform(&self) -> &'static str {
        match self {
            Item::Fix { fix, .. } => fix.key.transform,
            Item::Change(made) => made.made_by,
        }
    }
}

/// The reviewer's answer to one question.
enum Answer {
    Yes,
    No,
    All,
    Quit,
}

impl Review {
    pub fn new(colour: bool) -> Self {
        Review {
            colour,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether a whole-file change was accepted.
    pub fn admits_change(&self, made: &ChangeOutcome) -> bool {
        let state = self.lock();
        state
            .changes
            .get(&(made.change.path().to_path_buf(), made.made_by))
            .copied()
            .unwrap_or_else(|| state.all_of.contains(made.made_by))
    }

    /// Runs a project, asking about its fixes, and returns the run that
    /// makes only what was accepted.
    pub fn project(
        &self,
        files: &[ProjectFile],
        disk: &DiskFiles,
        mode: Mode,
        in_shard: &dyn Fn(&std::path::Path) -> bool,
    ) -> Result<ProjectRun> {
        for round in 0.. {
            let exploring = {
                let mut state = self.lock();
                state.exploring = !state.quit && round < MAX_ROUNDS;
                state.exploring
            };
            let run = process_project(files, disk, mode);
            let items = if exploring {
                self.undecided(&run, files, in_shard)
            } else {
                Vec::new()
            };
            if items.is_empty() {
                // What was accepted together lands together: a group part
                // of which no longer arises, after other answers, is
                // declined whole, and the project runs again without it.
                if self.decline_broken_groups(&run)? {
                    continue;
                }
                return Ok(run);
            }
            for group in groups(&items, &run, files) {
                // An earlier answer may have decided this group already.
                let open: Vec<usize> = group
                    .into_iter()
                    .filter(|&item| !self.decided(&items[item]))
                    .collect();
                if open.is_empty() {
                    continue;
                }
                if self.lock().quit {
                    break;
                }
                let answer =
                    self.ask(&open.iter().map(|&item| &items[item]).collect::<Vec<_>>())?;
                let mut state = self.lock();
                if let Answer::Yes = answer {
                    let mut accepted = AcceptedGroup::default();
                    for &item in &open {
                        match &items[item] {
                            Item::Fix { fix, .. } => accepted
                                .fixes
                                .push((fix.key.clone(), fix.key.title.clone())),
                            Item::Change(made) => accepted
                                .changes
                                .push((made.change.path().to_path_buf(), made.made_by)),
                        }
                    }
                    state.accepted.push(accepted);
                }
                for &item in &open {
                    let accepted = match answer {
                        Answer::Yes | Answer::All => true,
                        Answer::No => false,
                        Answer::Quit => {
                            state.quit = true;
                            break;
                        }
                    };
                    if let Answer::All = answer {
                        state.all_of.insert(items[item].transform());
                    }
                    match &items[item] {
                        Item::Fix { fix, .. } => state.decide(&fix.key, accepted),
                        Item::Change(made) => {
                            state
                                .changes
                                .insert((made.change.path().to_path_buf(), made.made_by), accepted);
                        }
                    }
                }
            }
        }
        unreachable!("the rounds end")
    }

    /// Declines every accepted group some fix or change of which `run`
    /// does not make, saying so; whether there was one.
    fn decline_broken_groups(&self, run: &ProjectRun) -> Result<bool> {
        let made: HashSet<&FixKey> = run
            .files
            .iter()
            .filter(|outcome| outcome.error.is_none())
            .flat_map(|outcome| outcome.reviewed.iter().map(|fix| &fix.key))
            .collect();
        let changed: HashSet<(PathBuf, &'static str)> = run
            .changes
            .iter()
            .filter(|change| change.error.is_none() && change.after.is_some())
            .map(|change| (change.change.path().to_path_buf(), change.made_by))
            .collect();
        let mut state = self.lock();
        let (broken, kept): (Vec<AcceptedGroup>, Vec<AcceptedGroup>) =
            std::mem::take(&mut state.accepted)
                .into_iter()
                .partition(|group| {
                    group.fixes.iter().any(|(key, _)| !made.contains(key))
                        || group.changes.iter().any(|change| !changed.contains(change))
                });
        state.accepted = kept;
        let mut out = std::io::stdout().lock();
        for group in &broken {
            let missing: Vec<&str> = group
                .fixes
                .iter()
                .filter(|(key, _)| !made.contains(key))
                .map(|(_, title)| title.as_str())
                .collect();
            let titles: Vec<&str> = group
                .fixes
                .iter()
                .map(|(_, title)| title.as_str())
                .collect();
            writeln!(
                out,
                "not applied, though accepted together: {}; after the other answers, {} no longer applies as shown",
                titles.join("; "),
                if missing.is_empty() {
                    "a file it changes".to_string()
                } else {
                    missing.join("; ")
                }
            )?;
            for (key, _) in &group.fixes {
                state.decide(key, false);
            }
            for change in &group.changes {
                state.changes.insert(change.clone(), false);
            }
        }
        Ok(!broken.is_empty())
    }

    fn decided(&self, item: &Item) -> bool {
        let state = self.lock();
        state.all_of.contains(item.transform())
            || match item {
                Item::Fix { fix, .. } => state.decision(&fix.key).is_some(),
                Item::Change(made) => state
                    .changes
                    .contains_key(&(made.change.path().to_path_buf(), made.made_by)),
            }
    }

    /// The fixes and changes of a run not decided yet, in path order.
    fn undecided<'r>(
        &self,
        run: &'r ProjectRun,
        files: &'r [ProjectFile],
        in_shard: &dyn Fn(&std::path::Path) -> bool,
    ) -> Vec<Item<'r>> {
        let mut items = items(run, files, in_shard);
        items.retain(|item| !self.decided(item));
        items
    }

    /// Shows the items and asks until it gets an answer; the end of the
    /// input is `quit`.
    fn ask(&self, items: &[&Item]) -> Result<Answer> {
        let mut out = std::io::stdout().lock();
        for item in items {
            writeln!(out, "{}", self.show(item))?;
        }
        let question = if items.len() == 1 {
            "Apply this fix?".to_string()
        } else {
            format!("Apply these {} changes together?", items.len())
        };
        loop {
            write!(
                out,
                "{} [y]es / [n]o / [a]ll of this transform / [q]uit: ",
                self.bold(&question)
            )?;
            out.flush()?;
            let mut line = String::new();
            let read = std::io::stdin().lock().read_line(&mut line)?;
            // Answers that come from a script are not echoed: end the line.
            if read == 0 || !std::io::stdin().is_terminal() {
                writeln!(out)?;
            }
            if read == 0 {
                return Ok(Answer::Quit);
            }
            match line.trim().to_ascii_lowercase().as_str() {
                "y" | "yes" => return Ok(Answer::Yes),
                "n" | "no" => return Ok(Answer::No),
                "a" | "all" => return Ok(Answer::All),
                "q" | "quit" => return Ok(Answer::Quit),
                _ => writeln!(
                    out,
                    "y: apply it · n: leave it · a: apply it and every other fix of its transform · q: stop here, writing what was accepted"
                )?,
            }
        }
    }

    fn show(&self, item: &Item) -> String {
        match item {
            Item::Fix { path, fix } => {
                let header = format!(
                    "{} {}:{}",
                    fix.key.transform,
                    super::display(path),
                    fix.found_at
                );
                let mut text = format!("{}\n{}\n", self.bold(&header), fix.message);
                text.push_str(&self.hunk(fix));
                text
            }
            Item::Change(made) => {
                let verb = match &made.change {
                    FileChange::Create { .. } => "create",
                    FileChange::Move { .. } => "move",
                    FileChange::Remove { .. } => "remove",
                    FileChange::Edit { .. } if made.before.is_none() => "create",
                    FileChange::Edit { .. } => "edit",
                };
                let header = format!(
                    "{} {} {}",
                    made.made_by,
                    verb,
                    super::display(made.change.path())
                );
                let diff = FileReport::from_change(made).diff.unwrap_or_default();
                let diff = if self.colour {
                    super::diff::colorize(&diff)
                } else {
                    diff
                };
                format!("{}\n{diff}", self.bold(&header))
            }
        }
    }

    /// The lines a fix changes, as hunks with three lines of context.
    fn hunk(&self, fix: &ReviewedFix) -> String {
        let diff = similar::TextDiff::from_lines(&fix.before, &fix.after);
        let mut text = String::new();
        for group in diff.grouped_ops(3) {
            let (Some(first), Some(last)) = (group.first(), group.last()) else {
                continue;
            };
            let old = first.old_range().start..last.old_range().end;
            let new = first.new_range().start..last.new_range().end;
            text.push_str(&format!(
                "@@ -{},{} +{},{} @@\n",
                fix.line + old.start,
                old.len(),
                fix.line + new.start,
                new.len()
            ));
            for operation in &group {
                for change in diff.iter_changes(operation) {
                    let (sign, colour) = match change.tag() {
                        similar::ChangeTag::Delete => ("-", "\x1b[31m"),
                        similar::ChangeTag::Insert => ("+", "\x1b[32m"),
                        similar::ChangeTag::Equal => (" ", ""),
                    };
                    let line = change.value();
                    let line = line.strip_suffix('\n').unwrap_or(line);
                    let line = line.strip_suffix('\r').unwrap_or(line);
                    if self.colour && !colour.is_empty() {
                        text.push_str(&format!("{colour}{sign}{line}\x1b[0m\n"));
                    } else {
                        text.push_str(&format!("{sign}{line}\n"));
                    }
                }
            }
        }
        text
    }

    fn bold(&self, text: &str) -> String {
        if self.colour {
            format!("\x1b[1m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// The fixes and whole-file changes a run makes, in path order, of the
/// writable files and units whose home `in_shard` holds.
fn items<'r>(
    run: &'r ProjectRun,
    files: &'r [ProjectFile],
    in_shard: &dyn Fn(&std::path::Path) -> bool,
) -> Vec<Item<'r>> {
    let home_in_shard = |unit: Option<&usize>| {
        unit.and_then(|unit| run.units.home.get(*unit))
            .is_none_or(|home| in_shard(home))
    };
    let mut items: Vec<Item> = Vec::new();
    for (position, (file, outcome)) in files.iter().zip(&run.files).enumerate() {
        if !file.writable
            || outcome.error.is_some()
            || outcome.fixed.is_none()
            || !home_in_shard(run.units.of_file.get(position))
        {
            continue;
        }
        items.extend(outcome.reviewed.iter().map(|fix| Item::Fix {
            path: &file.path,
            fix,
        }));
    }
    items.extend(
        run.changes
            .iter()
            .enumerate()
            .filter(|(index, made)| {
                made.error.is_none()
                    && made.after.is_some()
                    && home_in_shard(run.units.of_change.get(*index))
            })
            .map(|(_, made)| Item::Change(made)),
    );
    items
}

/// What must land with the fixes `wanted` picks, as `apply --interactive`
/// would ask it together (see [`groups`]): the keys of those fixes and of
/// the fixes grouped with them, and the whole-file changes (path and
/// transform) of their groups. `run` must have been made with a review
/// that admits every fix, so that each fix is recorded.
pub(super) fn land_together(
    run: &ProjectRun,
    files: &[ProjectFile],
    wanted: &dyn Fn(&std::path::Path, &ReviewedFix) -> bool,
) -> (HashSet<FixKey>, Vec<(PathBuf, &'static str)>) {
    let items = items(run, files, &|_| true);
    let mut chosen: HashSet<usize> = HashSet::new();
    for (index, item) in items.iter().enumerate() {
        let Item::Fix { path, fix } = item else {
            continue;
        };
        if !wanted(path, fix) {
            continue;
        }
        chosen.insert(index);
    }
    let mut keys = HashSet::new();
    let mut changes = Vec::new();
    for group in groups(&items, run, files) {
        if !group.iter().any(|member| chosen.contains(member)) {
            continue;
        }
        for member in group {
            match &items[member] {
                Item::Fix { fix, .. } => {
                    keys.insert(fix.key.clone());
                }
                Item::Change(made) => {
                    changes.push((made.change.path().to_path_buf(), made.made_by));
                }
            }
        }
    }
    (keys, changes)
}

/// The items that must land together, as groups: fixes that write or use
/// one promised name, and a whole-file change with the fixes of its
/// transform in its landing unit. Groups whose fixes all applied in
/// earlier passes come first (a later pass's hunk shows the text the
/// earlier ones made), then in the order of their first item.
fn groups(items: &[Item], run: &ProjectRun, files: &[ProjectFile]) -> Vec<Vec<usize>> {
    let mut partition = Partition::new(items.len());
    let mut positions: HashMap<&std::path::Path, usize> = HashMap::new();
    let mut module_files: HashMap<&str, &std::path::Path> = HashMap::new();
    for (position, file) in files.iter().enumerate() {
        positions.entry(file.path.as_path()).or_insert(position);
        if let Some(module) = file.module_name.as_deref() {
            module_files.entry(module).or_insert(file.path.as_path());
        }
    }
    let original_of = |path: &std::path::Path| {
        positions
            .get(path)
            .and_then(|&position| run.files.get(position))
            .and_then(|outcome| outcome.original.as_deref())
            .unwrap_or_default()
    };
    let module_file = |module: &str| module_files.get(module).copied();
    // The names each fix brings into its file, found once.
    let brought: Vec<std::cell::OnceCell<HashSet<String>>> =
        items.iter().map(|_| std::cell::OnceCell::new()).collect();
    let new_names = |index: usize| -> &HashSet<String> {
        brought[index].get_or_init(|| {
            let Item::Fix { path, fix } = &items[index] else {
                return HashSet::new();
            };
            let before = original_of(path);
            fix.texts
                .iter()
                .flat_map(|text| identifiers(text))
                .filter(|name| name.len() > 2 && !mentions_identifier(before, name))
                .map(str::to_string)
                .collect()
        })
    };
    for (made_by, promise) in &run.kept {
        let Promise::Defines { module, name } = promise else {
            continue;
        };
        // A fix of the plan's transform in the promise's home, and its fixes
        // elsewhere that bring in a name it brings in: a setting's new field
        // and the code that reads it.
        if let Some(home) = module_file(module) {
            let home_names: HashSet<&String> = items
                .iter()
                .enumerate()
                .filter_map(|(index, item)| match item {
                    Item::Fix { path, fix } if *path == home && fix.key.transform == *made_by => {
                        Some(new_names(index))
                    }
                    _ => None,
                })
                .flatten()
                .collect();
            let members: Vec<usize> = items
                .iter()
                .enumerate()
                .filter(|(index, item)| match item {
                    Item::Fix { path, fix } if fix.key.transform == *made_by => {
                        *path == home
                            || (!home_names.is_empty()
                                && new_names(*index)
                                    .iter()
                                    .any(|name| home_names.contains(name)))
                    }
                    _ => false,
                })
                .map(|(index, _)| index)
                .collect();
            if members
                .iter()
                .any(|&index| matches!(&items[index], Item::Fix { path, .. } if *path != home))
            {
                for pair in members.windows(2) {
                    partition.join(pair[0], pair[1]);
                }
            }
        }
        let members: Vec<usize> = items
            .iter()
            .enumerate()
            .filter(|(_, item)| match item {
                Item::Fix { fix, .. } => {
                    fix.texts.iter().any(|text| mentions_identifier(text, name))
                }
                Item::Change(made) => matches!(
                    &made.change,
                    FileChange::Create { module: Some(created), .. } if created == module
                ),
            })
            .map(|(index, _)| index)
            .collect();
        for pair in members.windows(2) {
            partition.join(pair[0], pair[1]);
        }
    }
    let unit_of_file = |path: &std::path::Path| {
        positions
            .get(path)
            .and_then(|&position| run.units.of_file.get(position).copied())
    };
    let unit_of_change = |made: &ChangeOutcome| {
        run.changes
            .iter()
            .position(|other| std::ptr::eq(other, made))
            .and_then(|index| run.units.of_change.get(index).copied())
    };
    for (index, item) in items.iter().enumerate() {
        let Item::Change(made) = item else { continue };
        let unit = unit_of_change(made);
        for (other_index, other) in items.iter().enumerate() {
            let by_its_plans = |transform: &str| {
                made.made_by == transform || made.also_made_by.contains(&transform)
            };
            let together = match other {
                Item::Fix { path, fix } => {
                    by_its_plans(fix.key.transform) && unit_of_file(path) == unit
                }
                Item::Change(other) => by_its_plans(other.made_by) && unit_of_change(other) == unit,
            };
            if together && other_index != index {
                partition.join(index, other_index);
            }
        }
    }
    let mut groups = partition.groups();
    // A group waits for the passes its fixes need: one whose last fix
    // applied in pass 1 (an alias use on the `Annotated` form) comes after
    // the fixes of pass 0 (that `Annotated`).
    let last_pass = |group: &Vec<usize>| {
        group
            .iter()
            .filter_map(|&item| match &items[item] {
                Item::Fix { fix, .. } => Some(fix.pass),
                Item::Change(_) => None,
            })
            .max()
    };
    groups.sort_by_key(|group| last_pass(group));
    groups
}

/// The identifiers in a text, strings and comments included.
fn identifiers(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|word| {
            word.chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
        })
}
