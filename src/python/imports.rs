//! Making a symbol available in a file: reuse an existing import of it,
//! extend an existing `from module import …`, refer through an existing
//! `import module`, or add a new import line where isort would put it.
//! A new import never binds a name the file already binds to something
//! else: the symbol is then reached through its module, or imported under
//! another name, and the importer says so.

use std::borrow::Cow;

use ruff_python_ast::{self as ast, Expr, ModModule, Stmt};
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::python::fastapi::ImportBindings;
use crate::text::edit::Edit;
use crate::text::source::SourceFile;

/// A name some module exports, e.g. `typing.Annotated`. The module may be
/// relative (`..deps`), spelled as the importing file would write it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Symbol {
    pub module: Cow<'static, str>,
    pub name: Cow<'static, str>,
    /// The name to bind it to, when not its own (`User as ModelsUser`), or
    /// its own name for an explicit re-export (`UserRead as UserRead`).
    pub alias: Option<Cow<'static, str>>,
}

impl Symbol {
    pub const fn new(module: &'static str, name: &'static str) -> Self {
        Symbol {
            module: Cow::Borrowed(module),
            name: Cow::Borrowed(name),
            alias: None,
        }
    }

    pub fn owned(module: impl Into<String>, name: impl Into<String>) -> Self {
        Symbol {
            module: Cow::Owned(module.into()),
            name: Cow::Owned(name.into()),
            alias: None,
        }
    }

    /// The same symbol, imported as an explicit re-export (`X as X`), the
    /// form type checkers and pyflakes read as meant for other modules.
    pub fn re_exported(mut self) -> Self {
        self.alias = Some(self.name.clone());
        self
    }

    /// The name the import binds.
    pub fn local(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }

    /// How an import statement names it: `name` or `name as alias`.
    fn imported_as(&self) -> String {
        match &self.alias {
            Some(alias) => format!("{} as {alias}", self.name),
            None => self.name.to_string(),
        }
    }

    /// Qualified names that mean the same object: `typing` and
    /// `typing_extensions` re-export each other's names.
    fn equivalents(&self) -> Vec<String> {
        let mut names = vec![format!("{}.{}", self.module, self.name)];
        match self.module.as_ref() {
            "typing" => names.push(format!("typing_extensions.{}", self.name)),
            "typing_extensions" => names.push(format!("typing.{}", self.name)),
            _ => {}
        }
        names
    }
}

/// How a file gets a symbol.
enum Way {
    /// Imported as itself (or under the alias it carries).
    Direct(Symbol),
    /// Reached through a module the file already imports: `models.User`.
    Through(String),
    /// Its module imported from the module's parent: `from app.db import
    /// models`, then `models.User`.
    FromParent { module: Symbol, reference: String },
    /// Its top-level module imported: `import functools`, then `functools.partial`.
    ModuleImport { module: String, reference: String },
}

impl Way {
    /// What a finding should say of a symbol reached another way.
    fn note(&self, symbol: &Symbol) -> Option<String> {
        let qualified = format!("{}.{}", symbol.module, symbol.name);
        let taken = symbol.local();
        match self {
            Way::Direct(direct) if direct.alias != symbol.alias => Some(format!(
                "`{taken}` is taken here, so `{qualified}` is imported as `{}`",
                direct.local()
            )),
            Way::Direct(_) => None,
            Way::Through(reference)
            | Way::FromParent { reference, .. }
            | Way::ModuleImport { reference, .. } => Some(format!(
                "`{taken}` is taken here, so `{qualified}` is written `{reference}`"
            )),
        }
    }
}

fn camel_case(snake: &str) -> String {
    snake
        .trim_start_matches('.')
        .split('_')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}

/// `..deps` for `app.api.deps` seen from `app.api.routes.users`.
pub fn relative_spelling(from: &str, is_package: bool, to: &str) -> Option<String> {
    let mut base: Vec<&str> = from.split('.').collect();
    if !is_package {
        base.pop();
    }
    let target: Vec<&str> = to.split('.').collect();
    let common = base.iter().zip(&target).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return None;
    }
    let dots = ".".repeat(base.len() - common + 1);
    Some(format!("{dots}{}", target[common..].join(".")))
}

/// Symbols made available: how to refer to each, and the edits that import
/// them. The edits belong in the same fix as the code that uses them.
#[derive(Debug, Default)]
pub struct Imported {
    pub references: Vec<String>,
    pub edits: Vec<Edit>,
    /// For symbols whose name the file already binds to something else: how
    /// they are reached instead, for the finding's message.
    pub notes: Vec<String>,
}

/// Decides how a file imports symbols; read-only over the file.
pub struct Importer<'a> {
    module: &'a ModModule,
    bindings: &'a ImportBindings,
    source: &'a SourceFile,
    /// The project's top-level package, whose imports form the last section.
    first_party: Option<&'a str>,
    /// Names module-level imports bind at run time; only these are reused.
    runtime_names: Option<&'a rustc_hash::FxHashSet<String>>,
    /// The longest line an import may take before it is wrapped, one name
    /// per line in parentheses, as isort's black profile wraps it.
    line_length: usize,
}

impl<'a> Importer<'a> {
    pub fn new(
        module: &'a ModModule,
        bindings: &'a ImportBindings,
        source: &'a SourceFile,
    ) -> Self {
        Importer {
            module,
            bindings,
            source,
            first_party: None,
            runtime_names: None,
            line_length: 88,
        }
    }

    /// Wraps imports longer than `line_length`.
    pub fn with_line_length(mut self, line_length: usize) -> Self {
        self.line_length = line_length;
        self
    }

    /// `from module import a, b`, or, when that is too long, one name per
    /// line in parentheses with a trailing comma.
    fn from_import_text(&self, module: &str, names: &[&str]) -> String {
        let line = format!("from {module} import {}", names.join(", "));
        if line.chars().count() <= self.line_length || names.len() < 2 {
            return line;
        }
        let ending = self.source.line_ending().as_str();
        let unit = self.source.indent_unit();
        let mut text = format!("from {module} import ({ending}");
        for name in names {
            text.push_str(&format!("{unit}{name},{ending}"));
        }
        text.push(')');
        text
    }

    /// Imports from this top-level package (and relative ones) go last, as
    /// isort's first-party section.
    pub fn with_first_party(mut self, package: Option<&'a str>) -> Self {
        self.first_party = package;
        self
    }

    /// Reuses only names bound by module-level imports at run time (not
    /// imports inside functions or under `TYPE_CHECKING`).
    pub fn with_runtime_names(mut self, names: &'a rustc_hash::FxHashSet<String>) -> Self {
        self.runtime_names = Some(names);
        self
    }

    /// Makes every symbol available; `references[i]` is the text to use for `symbols[i]`.
    pub fn import(&self, symbols: &[Symbol]) -> Imported {
        let mut notes = Vec::new();
        let mut ways: Vec<Way> = Vec::with_capacity(symbols.len());
        for symbol in symbols {
            let way = self.way_to(symbol);
            if let Some(note) = way.note(symbol) {
                notes.push(note);
            }
            ways.push(way);
        }
        // The symbols imported as themselves, or modules imported by name.
        let direct: Vec<Symbol> = ways
            .iter()
            .filter_map(|way| match way {
                Way::Direct(symbol) => Some(symbol.clone()),
                Way::FromParent { module, .. } => Some(module.clone()),
                Way::Through(_) | Way::ModuleImport { .. } => None,
            })
            .collect();
        let mut imported = self.import_free(&direct);
        let mut direct_references = std::mem::take(&mut imported.references).into_iter();
        for way in &ways {
            let reference = match way {
                Way::Direct(_) => direct_references.next().unwrap_or_default(),
                Way::FromParent { reference, .. } => {
                    direct_references.next();
                    reference.clone()
                }
                Way::Through(reference) => reference.clone(),
                Way::ModuleImport { module, reference } => {
                    let line = format!("import {module}");
                    let edit = self.new_import_line(module, &line);
                    if !imported.edits.contains(&edit) {
                        imported.edits.push(edit);
                    }
                    reference.clone()
                }
            };
            imported.references.push(reference);
        }
        imported.notes = notes;
        imported
    }

    /// How this file can get `symbol` without binding a name it already
    /// binds to something else.
    fn way_to(&self, symbol: &Symbol) -> Way {
        let taken = |name: &str| self.is_taken(name);
        let reusable = symbol
            .equivalents()
            .iter()
            .any(|qualified| self.runtime_local_of(qualified).is_some());
        if reusable || !taken(symbol.local()) {
            return Way::Direct(symbol.clone());
        }
        let module = symbol.module.as_ref();
        // The file already reaches the module: `from app.db import models`.
        if let Some(local) = self
            .runtime_local_of(module)
            .map(str::to_string)
            .or_else(|| self.module_import_of(module))
        {
            return Way::Through(format!("{local}.{}", symbol.name));
        }
        let (parent, last) = match module.rsplit_once('.') {
            // `..models` is `models` from `..`.
            Some((parent, last)) if parent.chars().all(|c| c == '.') => {
                (format!("{parent}."), last)
            }
            Some((parent, last)) => (parent.to_string(), last),
            None => (String::new(), module),
        };
        if !last.is_empty() && !taken(last) {
            let reference = format!("{last}.{}", symbol.name);
            return if parent.is_empty() {
                Way::ModuleImport {
                    module: module.to_string(),
                    reference,
                }
            } else {
                Way::FromParent {
                    module: Symbol::owned(parent, last.to_string()),
                    reference,
                }
            };
        }
        let mut alias = format!("{}{}", camel_case(last), symbol.name);
        while taken(&alias) {
            alias.push('_');
        }
        Way::Direct(Symbol {
            alias: Some(Cow::Owned(alias)),
            ..symbol.clone()
        })
    }

    /// Whether the file binds `name` already: at module level, or by any import.
    fn is_taken(&self, name: &str) -> bool {
        self.bindings.is_bound(name)
            || crate::python::fastapi::binds_at_module_level(&self.module.body, name)
    }

    /// The local name a module-level import binds to `qualified` at run time.
    fn runtime_local_of(&self, qualified: &str) -> Option<&'a str> {
        self.bindings.local_name_of(qualified).filter(|local| {
            self.runtime_names
                .is_none_or(|names| names.contains(*local))
        })
    }

    /// `import` for symbols whose local names are free (or reused).
    fn import_free(&self, symbols: &[Symbol]) -> Imported {
        let mut imported = Imported::default();
        let mut missing: Vec<Symbol> = Vec::new();
        for symbol in symbols {
            let existing = symbol
                .equivalents()
                .iter()
                .find_map(|qualified| self.bindings.local_name_of(qualified))
                .filter(|local| {
                    self.runtime_names
                        .is_none_or(|names| names.contains(*local))
                })
                .map(str::to_string);
            match existing {
                Some(local) => imported.references.push(local),
                None => {
                    imported.references.push(symbol.local().to_string());
                    if !missing.contains(symbol) {
                        missing.push(symbol.clone());
                    }
                }
            }
        }

        let mut modules: Vec<&str> = missing
            .iter()
            .map(|symbol| symbol.module.as_ref())
            .collect();
        // Standard-library lines first: two new lines at one place keep isort's order.
        modules.sort_by_key(|module| {
            let top = module.split('.').next().unwrap_or(module);
            (STDLIB_MODULES.binary_search(&top).is_err(), *module)
        });
        modules.dedup();
        let mut new_lines: Vec<(bool, Edit)> = Vec::new();
        for module in modules {
            let mut in_module: Vec<&Symbol> = missing
                .iter()
                .filter(|symbol| symbol.module == module)
                .collect();
            in_module.sort_by_key(|symbol| isort_key(&symbol.name));
            let spelled: Vec<String> = in_module
                .iter()
                .map(|symbol| symbol.imported_as())
                .collect();
            let names: Vec<&str> = spelled.iter().map(String::as_str).collect();
            let plain = in_module.iter().all(|symbol| symbol.alias.is_none());
            if let Some(statement) = self.existing_from_import(module) {
                imported
                    .edits
                    .extend(self.extend_from_import(statement, &names));
            } else if let Some(alias) = self.module_import_of(module).filter(|_| plain) {
                for (symbol, reference) in symbols.iter().zip(imported.references.iter_mut()) {
                    if symbol.module == module
                        && in_module.iter().any(|missing| missing.name == symbol.name)
                    {
                        *reference = format!("{alias}.{}", symbol.name);
                    }
                }
            } else {
                let top = module.split('.').next().unwrap_or(module);
                let standard = STDLIB_MODULES.binary_search(&top).is_ok();
                new_lines.push((
                    standard,
                    self.new_import_line(module, &self.from_import_text(module, &names)),
                ));
            }
        }
        // Lines for several modules at one place become one insertion: one
        // blank line between the standard library's and the others', none
        // within a section, whatever each line would have below it alone.
        let ending = self.source.line_ending().as_str();
        let mut sections: Vec<(bool, usize)> = Vec::new();
        for (standard, edit) in new_lines {
            match imported
                .edits
                .iter()
                .position(|other| other.is_insertion() && other.start() == edit.start())
            {
                Some(index) => {
                    let other = &imported.edits[index];
                    let before = other.content().trim_end_matches(['\r', '\n']);
                    let previous_standard = sections
                        .iter()
                        .find(|(_, at)| *at == index)
                        .is_some_and(|(standard, _)| *standard);
                    let separator = if previous_standard != standard {
                        ending.repeat(2)
                    } else {
                        ending.to_string()
                    };
                    let text = edit.content();
                    let text = text.strip_prefix(ending).unwrap_or(text);
                    imported.edits[index] =
                        Edit::insertion(format!("{before}{separator}{text}"), other.start());
                    sections.retain(|(_, at)| *at != index);
                    sections.push((standard, index));
                }
                None => {
                    sections.push((standard, imported.edits.len()));
                    imported.edits.push(edit);
                }
            }
        }
        imported
    }

    /// Makes a whole module available (`import asyncio`): the name to refer
    /// to it by, and the edit adding the import when it is missing.
    pub fn import_module(&self, module: &'static str) -> (String, Option<Edit>) {
        if let Some(local) = self.module_import_of(module) {
            return (local, None);
        }
        // An import inside a function or under `TYPE_CHECKING` is not one
        // the module's code can use.
        if let Some(local) = self.bindings.local_name_of(module).filter(|local| {
            self.runtime_names
                .is_none_or(|names| names.contains(*local))
        }) {
            return (local.to_string(), None);
        }
        let line = format!("import {module}");
        (
            module.to_string(),
            Some(self.new_import_line(module, &line)),
        )
    }

    /// The first module-level `from module import …` (not a star import).
    fn existing_from_import(&self, module: &str) -> Option<&'a ast::StmtImportFrom> {
        let level = (module.len() - module.trim_start_matches('.').len()) as u32;
        let module = module.trim_start_matches('.');
        self.module.body.iter().find_map(|stmt| match stmt {
            Stmt::ImportFrom(import)
                if import.level == level
                    && import.module.as_ref().map_or("", |name| name.id.as_str()) == module
                    && import
                        .names
                        .iter()
                        .all(|alias| alias.name.id.as_str() != "*") =>
            {
                Some(import)
            }
            _ => None,
        })
    }

    /// The local name of a module-level `import module` / `import module as m`.
    fn module_import_of(&self, module: &str) -> Option<String> {
        self.module.body.iter().find_map(|stmt| match stmt {
            Stmt::Import(import) => import.names.iter().find_map(|alias| {
                (alias.name.id.as_str() == module).then(|| {
                    alias
                        .asname
                        .as_ref()
                        .map_or(module, |asname| asname.id.as_str())
                        .to_string()
                })
            }),
            _ => None,
        })
    }

    /// Edits adding `names` to an existing `from m import …`, in sorted
    /// position when the existing names are sorted, else at the end, in the
    /// statement's own layout (one line, or one name per line).
    fn extend_from_import(&self, statement: &ast::StmtImportFrom, names: &[&str]) -> Vec<Edit> {
        let aliases = &statement.names;
        let existing_sorted = aliases
            .windows(2)
            .all(|pair| isort_key(pair[0].name.id.as_str()) <= isort_key(pair[1].name.id.as_str()));
        let one_per_line = aliases
            .first()
            .is_some_and(|alias| self.source.starts_line(alias.start()));
        let ending = self.source.line_ending().as_str();

        // A one-line import that the new names make too long is written
        // again, wrapped.
        let on_one_line =
            self.source.line_number(statement.start()) == self.source.line_number(statement.end());
        if on_one_line && !one_per_line && statement.level == 0 {
            let module = statement.module.as_ref().map(ast::Identifier::as_str);
            let mut all: Vec<String> = aliases
                .iter()
                .map(|alias| match &alias.asname {
                    Some(asname) => format!("{} as {asname}", alias.name.id),
                    None => alias.name.id.to_string(),
                })
                .collect();
            all.extend(names.iter().map(|name| name.to_string()));
            if existing_sorted {
                all.sort_by(|a, b| isort_key(a).cmp(&isort_key(b)));
            }
            let names_text: Vec<&str> = all.iter().map(String::as_str).collect();
            let line_start = self.source.line_start(statement.start());
            let indent = self
                .source
                .slice(TextRange::new(line_start, statement.start()));
            let line = format!(
                "{indent}from {} import {}",
                module.unwrap_or_default(),
                all.join(", ")
            );
            if indent.trim().is_empty() && line.chars().count() > self.line_length {
                if let Some(module) = module {
                    let text = self.from_import_text(module, &names_text);
                    let text = text.replace(ending, &format!("{ending}{indent}"));
                    return vec![Edit::replacement(text, statement.range())];
                }
            }
        }

        // Group the new names by the existing alias they go before (None = at the end).
        let mut groups: Vec<(Option<usize>, Vec<&str>)> = Vec::new();
        for &name in names {
            let before = if existing_sorted {
                aliases
                    .iter()
                    .position(|alias| isort_key(name) < isort_key(alias.name.id.as_str()))
            } else {
                None
            };
            match groups.iter_mut().find(|(position, _)| *position == before) {
                Some((_, group)) => group.push(name),
                None => groups.push((before, vec![name])),
            }
        }

        groups
            .into_iter()
            .map(|(before, group)| match before {
                Some(index) => {
                    let alias = &aliases[index];
                    let separator = if one_per_line {
                        format!(",{ending}{}", self.source.indentation_at(alias.start()))
                    } else {
                        ", ".to_string()
                    };
                    let mut text = group.join(&separator);
                    text.push_str(&separator);
                    Edit::insertion(text, alias.start())
                }
                None => {
                    let last = aliases.last().expect("an import names something");
                    let separator = if one_per_line {
                        format!(",{ending}{}", self.source.indentation_at(last.start()))
                    } else {
                        ", ".to_string()
                    };
                    let text: String = group
                        .iter()
                        .map(|name| format!("{separator}{name}"))
                        .collect();
                    Edit::insertion(text, last.end())
                }
            })
            .collect()
    }

    /// An edit adding `from module import …` where isort would put it: a
    /// standard-library module after the last standard-library import of the
    /// leading import block, else as a section of its own before the first
    /// import; any other module in alphabetical place within the first block
    /// of third-party imports. With no imports at all, after the module
    /// docstring, `from __future__` imports and leading comments.
    fn new_import_line(&self, module: &str, line: &str) -> Edit {
        let ending = self.source.line_ending().as_str();
        let block = format!("{line}{ending}");

        let mut body = self.module.body.iter().peekable();
        let mut after: Option<&Stmt> = None;
        if let Some(first) = body.peek()
            && is_docstring(first)
        {
            after = body.next();
        }
        let mut last_stdlib: Option<&Stmt> = None;
        let mut first_stdlib: Option<&Stmt> = None;
        let mut first_others: Vec<&Stmt> = Vec::new();
        let mut others_block_closed = false;
        let mut last_import: Option<&Stmt> = None;
        let mut last_first_party: Option<&Stmt> = None;
        let mut first_party_after: Option<(&Stmt, String)> = None;
        let is_first_party = |name: &str| {
            name.starts_with('.')
                || self
                    .first_party
                    .is_some_and(|package| name.split('.').next() == Some(package))
        };
        for stmt in body.clone() {
            if import_category(stmt).is_none() {
                break;
            }
            last_import = Some(stmt);
            let first_party = match stmt {
                Stmt::ImportFrom(import) if import.level > 0 => true,
                _ => imported_module(stmt).is_some_and(is_first_party),
            };
            if first_party {
                last_first_party = Some(stmt);
                // Absolute first-party imports, in order, for an alphabetical place.
                if let Some(name) =
                    imported_module(stmt).filter(|name| !module.starts_with('.') && name > &module)
                {
                    first_party_after.get_or_insert((stmt, name.to_string()));
                }
                // Relative ones as isort orders them: the furthest first,
                // then alphabetically.
                if let Stmt::ImportFrom(import) = stmt
                    && module.starts_with('.')
                    && import.level > 0
                {
                    let key =
                        |level: usize, name: &str| (std::cmp::Reverse(level), name.to_string());
                    let ours = module.trim_start_matches('.');
                    let theirs = import.module.as_ref().map_or("", |name| name.id.as_str());
                    let ours_key = key(module.len() - ours.len(), ours);
                    if key(import.level as usize, theirs) > ours_key {
                        first_party_after.get_or_insert((stmt, theirs.to_string()));
                    }
                }
            }
        }
        if let Some((stmt, _)) = first_party_after.filter(|_| is_first_party(module)) {
            return Edit::insertion(block, self.source.line_start(stmt.start()));
        }
        if is_first_party(module)
            && let Some(stmt) = last_import
        {
            return match last_first_party {
                Some(stmt) => self.insert_after(stmt, block),
                None => self.insert_after(stmt, format!("{ending}{block}")),
            };
        }
        for stmt in body {
            match import_category(stmt) {
                Some(ImportCategory::Future) => after = Some(stmt),
                Some(ImportCategory::Stdlib) if first_others.is_empty() => {
                    first_stdlib.get_or_insert(stmt);
                    last_stdlib = Some(stmt);
                }
                Some(ImportCategory::Stdlib) => others_block_closed = true,
                Some(ImportCategory::Other) => {
                    let follows_blank_line = first_others.last().is_some_and(|previous| {
                        let gap = &self.source.text()[TextRange::new(previous.end(), stmt.start())];
                        gap.matches('\n').count() > 1 || gap.matches('\r').count() > 1
                    });
                    others_block_closed |= follows_blank_line;
                    if !others_block_closed {
                        first_others.push(stmt);
                    }
                }
                None => break,
            }
        }

        let top = module.split('.').next().unwrap_or(module);
        if STDLIB_MODULES.binary_search(&top).is_ok() {
            if let Some(last) = last_stdlib {
                // isort's order in the section: `import x` lines, then `from x
                // import` lines, each alphabetical.
                let straight = line.starts_with("import ");
                let stdlib: Vec<&Stmt> = self
                    .module
                    .body
                    .iter()
                    .skip_while(|stmt| !std::ptr::eq(*stmt, first_stdlib.unwrap_or(last)))
                    .take_while(|stmt| !std::ptr::eq(*stmt, last))
                    .chain(std::iter::once(last))
                    .collect();
                let later = stdlib.iter().find(|stmt| {
                    let other_straight = matches!(stmt, Stmt::Import(_));
                    let other = imported_module(stmt).unwrap_or_default();
                    (straight && !other_straight) || (straight == other_straight && other > module)
                });
                return match later {
                    Some(stmt) => Edit::insertion(block, self.source.line_start(stmt.start())),
                    None => self.insert_after(last, block),
                };
            }
            if let Some(stmt) = first_others.first() {
                let at = self.source.line_start(stmt.start());
                return Edit::insertion(format!("{block}{ending}"), at);
            }
        } else if let Some(last) = first_others.last() {
            let key = module.to_lowercase();
            let later = first_others
                .iter()
                .find(|stmt| imported_module(stmt).is_some_and(|other| other.to_lowercase() > key));
            return match later {
                Some(stmt) => Edit::insertion(block, self.source.line_start(stmt.start())),
                None => self.insert_after(last, block),
            };
        } else if let Some(stmt) = last_stdlib {
            return self.insert_after(stmt, format!("{ending}{block}"));
        }

        let edit = match after {
            Some(stmt) => self.insert_after(stmt, block),
            None => Edit::insertion(block, self.after_leading_comments()),
        };
        // Code right below the new import gets a blank line between them;
        // a definition, two (as pycodestyle and ruff's formatter want).
        let rest = &self.source.text()[usize::from(edit.start())..];
        let blank = rest
            .split_inclusive('\n')
            .take_while(|line| line.trim().is_empty())
            .count();
        let next = rest
            .split_inclusive('\n')
            .find(|line| !line.trim().is_empty())
            .unwrap_or("")
            .trim_start();
        let definition = ["def ", "async def ", "class ", "@"]
            .iter()
            .any(|start| next.starts_with(start));
        let wanted = if definition { 2 } else { 1 };
        if blank >= wanted || next.is_empty() {
            edit
        } else {
            Edit::insertion(
                format!("{}{}", edit.content(), ending.repeat(wanted - blank)),
                edit.start(),
            )
        }
    }

    fn insert_after(&self, stmt: &Stmt, block: String) -> Edit {
        let at = self.source.full_line_end(stmt.end());
        let text = self.source.text();
        if usize::from(at) == text.len() && !text.ends_with(['\n', '\r']) {
            let ending = self.source.line_ending().as_str();
            return Edit::insertion(
                format!("{ending}{}", block.trim_end_matches(['\r', '\n'])),
                at,
            );
        }
        Edit::insertion(block, at)
    }

    /// Just past a shebang, encoding line or license header at the top.
    fn after_leading_comments(&self) -> TextSize {
        let text = self.source.text();
        let mut offset = 0usize;
        for line in text.split_inclusive('\n') {
            if line.trim_start().starts_with('#') {
                offset += line.len();
            } else {
                break;
            }
        }
        TextSize::try_from(offset).unwrap_or_default()
    }
}

/// Edits removing the imports that bind the names in `unused` (and only
/// those): at module level, and in module-level `if TYPE_CHECKING:` blocks,
/// which go whole when nothing is left in them. A statement that loses
/// some of its names keeps its layout (one line, or one name per line with
/// comments kept); a section of imports that empties takes its blank line
/// with it.
pub fn import_removals(
    module: &ModModule,
    tokens: &ruff_python_ast::token::Tokens,
    source: &SourceFile,
    unused: &[String],
) -> Vec<Edit> {
    let mut edits = Vec::new();
    let mut deleted_statements: Vec<&Stmt> = Vec::new();
    if unused.is_empty() {
        return edits;
    }
    for stmt in &module.body {
        match stmt {
            Stmt::Import(_) | Stmt::ImportFrom(_) => {
                if let Some(removal) = statement_removal(stmt, tokens, source, unused) {
                    if removal.whole {
                        deleted_statements.push(stmt);
                    }
                    edits.extend(removal.edits);
                }
            }
            Stmt::If(branch)
                if crate::python::bindings::is_type_checking(&branch.test)
                    && branch.elif_else_clauses.is_empty() =>
            {
                let removals: Vec<Option<StatementRemoval>> = branch
                    .body
                    .iter()
                    .map(|inner| statement_removal(inner, tokens, source, unused))
                    .collect();
                let emptied = removals
                    .iter()
                    .all(|removal| removal.as_ref().is_some_and(|removal| removal.whole));
                if emptied {
                    // Nothing is left to check for types: the block goes whole.
                    let start = source.line_start(stmt.start());
                    let end = source.full_line_end(stmt.end());
                    let alone = source
                        .slice(TextRange::new(start, stmt.start()))
                        .trim()
                        .is_empty();
                    if alone {
                        edits.push(Edit::deletion(TextRange::new(start, end)));
                    }
                } else {
                    edits.extend(
                        removals
                            .into_iter()
                            .flatten()
                            .flat_map(|removal| removal.edits),
                    );
                }
            }
            _ => {}
        }
    }
    edits.extend(emptied_section_blank_lines(
        module,
        source,
        &deleted_statements,
        &[],
    ));
    edits
}

/// Edits marking the module-level `from` imports of `names` as explicit
/// re-exports: `from app.security import oauth2_scheme` becomes
/// `… import oauth2_scheme as oauth2_scheme`.
pub fn explicit_re_exports(module: &ModModule, names: &[String]) -> Vec<Edit> {
    let mut edits = Vec::new();
    if names.is_empty() {
        return edits;
    }
    for stmt in &module.body {
        let Stmt::ImportFrom(import) = stmt else {
            continue;
        };
        for alias in &import.names {
            if alias.asname.is_none() && names.iter().any(|name| *name == alias.name.id.as_str()) {
                edits.push(Edit::insertion(
                    format!(" as {}", alias.name.id),
                    alias.end(),
                ));
            }
        }
    }
    edits
}

/// How one import statement loses the names in `unused`.
/// The edits that remove `unused` names from one import statement (one
/// inside a function, which binds names for that function alone).
pub fn local_import_removal(
    stmt: &Stmt,
    tokens: &ruff_python_ast::token::Tokens,
    source: &SourceFile,
    unused: &[String],
) -> Vec<Edit> {
    statement_removal(stmt, tokens, source, unused)
        .map(|removal| removal.edits)
        .unwrap_or_default()
}

struct StatementRemoval {
    edits: Vec<Edit>,
    /// The whole statement goes.
    whole: bool,
}

fn statement_removal(
    stmt: &Stmt,
    tokens: &ruff_python_ast::token::Tokens,
    source: &SourceFile,
    unused: &[String],
) -> Option<StatementRemoval> {
    let (aliases, is_from): (&[ast::Alias], bool) = match stmt {
        Stmt::Import(import) => (&import.names, false),
        Stmt::ImportFrom(import) => (&import.names, true),
        _ => return None,
    };
    let local = |alias: &ast::Alias| -> String {
        match (&alias.asname, is_from) {
            (Some(asname), _) => asname.id.to_string(),
            (None, true) => alias.name.id.to_string(),
            (None, false) => alias
                .name
                .id
                .split('.')
                .next()
                .unwrap_or_default()
                .to_string(),
        }
    };
    let removed: Vec<bool> = aliases
        .iter()
        .map(|alias| unused.contains(&local(alias)))
        .collect();
    if !removed.contains(&true) {
        return None;
    }
    let (first, last) = (aliases.first()?, aliases.last()?);
    if removed.iter().all(|&gone| gone) {
        let line_start = source.line_start(stmt.start());
        let line_end = source.full_line_end(stmt.end());
        let alone = source
            .slice(TextRange::new(line_start, stmt.start()))
            .trim()
            .is_empty()
            && source
                .slice(TextRange::new(stmt.end(), line_end))
                .trim()
                .is_empty();
        return alone.then(|| StatementRemoval {
            edits: vec![Edit::deletion(TextRange::new(line_start, line_end))],
            whole: true,
        });
    }
    let one_line = !source.slice(stmt.range()).contains(['\n', '\r']);
    if one_line {
        let kept: Vec<&str> = aliases
            .iter()
            .zip(&removed)
            .filter(|(_, gone)| !**gone)
            .map(|(alias, _)| source.slice(alias.range()))
            .collect();
        let prefix = source.slice(TextRange::new(stmt.start(), first.start()));
        let suffix = source.slice(TextRange::new(last.end(), stmt.end()));
        return Some(StatementRemoval {
            edits: vec![Edit::replacement(
                format!("{prefix}{}{suffix}", kept.join(", ")),
                stmt.range(),
            )],
            whole: false,
        });
    }
    // One name per line: remove the lines of the names that go.
    let ranges: Vec<TextRange> = aliases.iter().map(Ranged::range).collect();
    let inner = TextRange::new(first.start(), stmt.end());
    let deletions: Vec<TextRange> = removed
        .iter()
        .enumerate()
        .filter(|(_, gone)| **gone)
        .map(|(index, _)| {
            crate::python::syntax::list_item_deletion(source, tokens, &ranges, index, inner)
        })
        .collect();
    deletions
        .windows(2)
        .all(|pair| pair[0].end() <= pair[1].start())
        .then(|| StatementRemoval {
            edits: deletions.into_iter().map(Edit::deletion).collect(),
            whole: false,
        })
}

/// When every statement of an import section (imports between blank lines)
/// is deleted and no new import takes their place (`insertions`), the blank
/// line that separated it goes too: the one after it, or for the last
/// section, the one before it (the blank lines before the code stay).
fn emptied_section_blank_lines(
    module: &ModModule,
    source: &SourceFile,
    deleted: &[&Stmt],
    insertions: &[TextSize],
) -> Vec<Edit> {
    let is_blank_line = |offset: TextSize| {
        let end = source.full_line_end(offset);
        usize::from(offset) < source.text().len()
            && source.slice(TextRange::new(offset, end)).trim().is_empty()
    };
    let imports: Vec<&Stmt> = module
        .body
        .iter()
        .skip_while(|stmt| is_docstring(stmt))
        .take_while(|stmt| matches!(stmt, Stmt::Import(_) | Stmt::ImportFrom(_)))
        .collect();
    let mut sections: Vec<Vec<&Stmt>> = Vec::new();
    for stmt in imports {
        let starts_section = sections
            .last()
            .and_then(|section| section.last())
            .is_none_or(|previous| {
                let gap = source.slice(TextRange::new(previous.end(), stmt.start()));
                gap.matches('\n').count() > 1
                    || gap.matches('\r').count() > 1 && !gap.contains('\n')
            });
        if starts_section {
            sections.push(Vec::new());
        }
        sections
            .last_mut()
            .expect("a section was pushed")
            .push(stmt);
    }
    let mut edits = Vec::new();
    for section in &sections {
        if !section
            .iter()
            .all(|stmt| deleted.iter().any(|gone| std::ptr::eq(*gone, *stmt)))
        {
            continue;
        }
        let (Some(first), Some(last)) = (section.first(), section.last()) else {
            continue;
        };
        let after = source.full_line_end(last.end());
        let span = TextRange::new(source.line_start(first.start()), after);
        if insertions
            .iter()
            .any(|&offset| span.contains_inclusive(offset))
        {
            continue;
        }
        let is_last = sections
            .last()
            .is_some_and(|final_section| std::ptr::eq(final_section, section));
        if !is_last && is_blank_line(after) {
            edits.push(Edit::deletion(TextRange::new(
                after,
                source.full_line_end(after),
            )));
        } else if first.start() > TextSize::new(0) {
            let before = source.line_start(source.line_start(first.start()) - TextSize::new(1));
            if is_blank_line(before) {
                edits.push(Edit::deletion(TextRange::new(
                    before,
                    source.line_start(first.start()),
                )));
            }
        }
    }
    edits
}

enum ImportCategory {
    Future,
    Stdlib,
    Other,
}

/// The imports of a new module, as isort's black profile writes them: the
/// standard library, third-party packages, then `first_party`'s modules,
/// each section alphabetical with `import x` lines first, names merged per
/// module (constants, classes, then functions), one line each. A symbol
/// whose module is empty is a module imported whole (`import json`).
pub fn import_block(symbols: &[Symbol], first_party: &str) -> String {
    use std::collections::{BTreeMap, BTreeSet};
    let mut straight: [BTreeSet<String>; 3] = Default::default();
    let mut from: [BTreeMap<String, BTreeSet<String>>; 3] = Default::default();
    for symbol in symbols {
        let module = if symbol.module.is_empty() {
            symbol.name.as_ref()
        } else {
            symbol.module.as_ref()
        };
        let top = module.split('.').next().unwrap_or(module);
        let section = if top == first_party || module.starts_with('.') {
            2
        } else if STDLIB_MODULES.binary_search(&top).is_ok() {
            0
        } else {
            1
        };
        if symbol.module.is_empty() {
            straight[section].insert(symbol.imported_as());
        } else {
            from[section]
                .entry(symbol.module.to_string())
                .or_default()
                .insert(symbol.imported_as());
        }
    }
    let mut sections = Vec::new();
    for section in 0..3 {
        let mut lines: Vec<String> = straight[section]
            .iter()
            .map(|module| format!("import {module}"))
            .collect();
        for (module, names) in &from[section] {
            let mut names: Vec<&String> = names.iter().collect();
            names.sort_by_key(|name| {
                let kind = if name.chars().all(|c| c.is_uppercase() || c == '_') {
                    0
                } else if name.starts_with(|c: char| c.is_uppercase()) {
                    1
                } else {
                    2
                };
                (kind, name.to_string())
            });
            let names: Vec<&str> = names.iter().map(|name| name.as_str()).collect();
            lines.push(format!("from {module} import {}", names.join(", ")));
        }
        if !lines.is_empty() {
            sections.push(lines.join("\n"));
        }
    }
    let mut block = sections.join("\n\n");
    if !block.is_empty() {
        block.push('\n');
    }
    block
}

fn import_category(stmt: &Stmt) -> Option<ImportCategory> {
    let module = match stmt {
        Stmt::Import(import) => import.names.first()?.name.id.as_str(),
        Stmt::ImportFrom(import) if import.level > 0 => return Some(ImportCategory::Other),
        Stmt::ImportFrom(import) => import.module.as_ref()?.id.as_str(),
        _ => return None,
    };
    let top = module.split('.').next().unwrap_or(module);
    Some(if top == "__future__" {
        ImportCategory::Future
    } else if STDLIB_MODULES.binary_search(&top).is_ok() {
        ImportCategory::Stdlib
    } else {
        ImportCategory::Other
    })
}

/// The module an absolute import statement names first.
fn imported_module(stmt: &Stmt) -> Option<&str> {
    match stmt {
        Stmt::Import(import) => import.names.first().map(|alias| alias.name.id.as_str()),
        Stmt::ImportFrom(import) if import.level == 0 => {
            import.module.as_ref().map(|module| module.id.as_str())
        }
        _ => None,
    }
}

fn is_docstring(stmt: &Stmt) -> bool {
    matches!(stmt, Stmt::Expr(expr) if matches!(expr.value.as_ref(), Expr::StringLiteral(_)))
}

/// isort's default order within one import: CONSTANTS, then Classes, then
/// functions, each alphabetically ignoring case.
fn isort_key(name: &str) -> (u8, String) {
    let kind = if name.len() > 1 && name.chars().all(|c| !c.is_lowercase()) {
        0
    } else if name.starts_with(char::is_uppercase) {
        1
    } else {
        2
    };
    (kind, name.to_lowercase())
}

/// Top-level standard-library modules (Python 3.8–3.14), sorted.
const STDLIB_MODULES: &[&str] = &[
    "__future__",
    "_thread",
    "abc",
    "aifc",
    "argparse",
    "array",
    "ast",
    "asynchat",
    "asyncio",
    "asyncore",
    "atexit",
    "audioop",
    "base64",
    "bdb",
    "binascii",
    "bisect",
    "builtins",
    "bz2",
    "cProfile",
    "calendar",
    "cgi",
    "cgitb",
    "chunk",
    "cmath",
    "cmd",
    "code",
    "codecs",
    "codeop",
    "collections",
    "colorsys",
    "compileall",
    "compression",
    "concurrent",
    "configparser",
    "contextlib",
    "contextvars",
    "copy",
    "copyreg",
    "crypt",
    "csv",
    "ctypes",
    "curses",
    "dataclasses",
    "datetime",
    "dbm",
    "decimal",
    "difflib",
    "dis",
    "doctest",
    "email",
    "encodings",
    "ensurepip",
    "enum",
    "errno",
    "faulthandler",
    "fcntl",
    "filecmp",
    "fileinput",
    "fnmatch",
    "fractions",
    "ftplib",
    "functools",
    "gc",
    "getopt",
    "getpass",
    "gettext",
    "glob",
    "graphlib",
    "grp",
    "gzip",
    "hashlib",
    "heapq",
    "hmac",
    "html",
    "http",
    "imaplib",
    "imghdr",
    "importlib",
    "inspect",
    "io",
    "ipaddress",
    "itertools",
    "json",
    "keyword",
    "linecache",
    "locale",
    "logging",
    "lzma",
    "mailbox",
    "marshal",
    "math",
    "mimetypes",
    "mmap",
    "modulefinder",
    "msvcrt",
    "multiprocessing",
    "netrc",
    "numbers",
    "operator",
    "optparse",
    "os",
    "pathlib",
    "pdb",
    "pickle",
    "pickletools",
    "pipes",
    "pkgutil",
    "platform",
    "plistlib",
    "poplib",
    "posix",
    "pprint",
    "profile",
    "pstats",
    "pty",
    "pwd",
    "py_compile",
    "pyclbr",
    "pydoc",
    "queue",
    "quopri",
    "random",
    "re",
    "readline",
    "reprlib",
    "resource",
    "rlcompleter",
    "runpy",
    "sched",
    "secrets",
    "select",
    "selectors",
    "shelve",
    "shlex",
    "shutil",
    "signal",
    "site",
    "smtplib",
    "socket",
    "socketserver",
    "sqlite3",
    "ssl",
    "stat",
    "statistics",
    "string",
    "stringprep",
    "struct",
    "subprocess",
    "symtable",
    "sys",
    "sysconfig",
    "syslog",
    "tabnanny",
    "tarfile",
    "tempfile",
    "termios",
    "textwrap",
    "threading",
    "time",
    "timeit",
    "tkinter",
    "token",
    "tokenize",
    "tomllib",
    "trace",
    "traceback",
    "tracemalloc",
    "tty",
    "turtle",
    "types",
    "typing",
    "unicodedata",
    "unittest",
    "urllib",
    "uuid",
    "venv",
    "warnings",
    "wave",
    "weakref",
    "webbrowser",
    "winreg",
    "wsgiref",
    "xml",
    "xmlrpc",
    "zipapp",
    "zipfile",
    "zipimport",
    "zlib",
    "zoneinfo",
];

#[cfg(test)]
mod tests {
    use ruff_python_parser::parse_module;

    use super::*;

    #[test]
    fn relative_spellings() {
        assert_eq!(
            relative_spelling("app.api.routes.users", false, "app.api.deps").as_deref(),
            Some("..deps")
        );
        assert_eq!(
            relative_spelling("app.api.users", false, "app.api.deps").as_deref(),
            Some(".deps")
        );
        assert_eq!(
            relative_spelling("app.api", true, "app.api.deps").as_deref(),
            Some(".deps")
        );
        assert_eq!(relative_spelling("app.main", false, "other.deps"), None);
    }
    use crate::python::fastapi::FastApiFacts;
    use crate::text::edit::{Fix, Safety};
    use crate::text::fix_loop::apply_fixes;

    const ANNOTATED: Symbol = Symbol::new("typing", "Annotated");
    const ANY: Symbol = Symbol::new("typing", "Any");

    fn import(source: &str, symbols: &[Symbol]) -> (String, Vec<String>) {
        let file = SourceFile::new(source);
        let parsed = parse_module(file.text()).unwrap();
        let facts = FastApiFacts::new(parsed.syntax());
        let importer = Importer::new(parsed.syntax(), &facts.imports, &file);
        let imported = importer.import(symbols);
        let fix = Fix::new("import", imported.edits, Safety::Safe);
        (apply_fixes(file.text(), &[&fix]).0, imported.references)
    }

    #[test]
    fn reuses_an_existing_import() {
        let source = "from typing_extensions import Annotated as A\n";
        assert_eq!(
            import(source, &[ANNOTATED]),
            (source.to_string(), vec!["A".to_string()])
        );
    }

    #[test]
    fn extends_a_from_import_in_sorted_position() {
        let (text, _) = import("from typing import Any, Optional\n", &[ANNOTATED]);
        assert_eq!(text, "from typing import Annotated, Any, Optional\n");
        let (text, _) = import("from typing import TYPE_CHECKING, Optional\n", &[ANNOTATED]);
        assert_eq!(
            text,
            "from typing import TYPE_CHECKING, Annotated, Optional\n"
        );
        let (text, _) = import("from typing import Optional, Dict\n", &[ANNOTATED]);
        assert_eq!(text, "from typing import Optional, Dict, Annotated\n");
    }

    #[test]
    fn extends_a_parenthesized_import_one_name_per_line() {
        let source = "from typing import (\n    List,\n    Optional,\n)\n";
        let (text, _) = import(source, &[ANNOTATED, ANY]);
        assert_eq!(
            text,
            "from typing import (\n    Annotated,\n    Any,\n    List,\n    Optional,\n)\n"
        );
        let source = "from typing import (\n    Any,\n    List\n)\n";
        let (text, _) = import(source, &[Symbol::new("typing", "Optional")]);
        assert_eq!(
            text,
            "from typing import (\n    Any,\n    List,\n    Optional\n)\n"
        );
    }

    #[test]
    fn refers_through_a_module_import() {
        let (text, references) = import("import typing as t\n", &[ANNOTATED]);
        assert_eq!(text, "import typing as t\n");
        assert_eq!(references, ["t.Annotated"]);
    }

    #[test]
    fn adds_a_line_after_the_standard_library_block() {
        let source = "\"\"\"Doc.\"\"\"\nimport os\nfrom datetime import date\n\nfrom fastapi import Depends\n";
        let (text, _) = import(source, &[ANNOTATED]);
        assert_eq!(
            text,
            "\"\"\"Doc.\"\"\"\nimport os\nfrom datetime import date\nfrom typing import Annotated\n\nfrom fastapi import Depends\n"
        );
    }

    #[test]
    fn adds_a_section_before_third_party_imports() {
        let source = "from __future__ import annotations\n\nfrom fastapi import Depends\r\n";
        let (text, _) = import(source, &[ANNOTATED, ANY]);
        assert_eq!(
            text,
            "from __future__ import annotations\n\nfrom typing import Annotated, Any\n\nfrom fastapi import Depends\r\n"
        );
    }

    #[test]
    fn new_lines_use_the_file_line_ending() {
        let source = "import fastapi\r\nx = 1\r\n";
        let (text, _) = import(source, &[ANNOTATED]);
        assert_eq!(
            text,
            "from typing import Annotated\r\n\r\nimport fastapi\r\nx = 1\r\n"
        );
    }

    #[test]
    fn two_new_sections_above_a_definition_are_one_blank_line_apart() {
        let source = "class Session:\n    pass\n";
        let (text, _) = import(source, &[ANNOTATED, Symbol::new("fastapi", "Depends")]);
        assert_eq!(
            text,
            "from typing import Annotated\n\nfrom fastapi import Depends\n\n\nclass Session:\n    pass\n"
        );
    }

    #[test]
    fn code_below_a_new_import_gets_a_blank_line() {
        let (text, _) = import(
            "# header\ntry:\n    import fastapi\nexcept ImportError:\n    pass\n",
            &[ANNOTATED],
        );
        assert_eq!(
            text,
            "# header\nfrom typing import Annotated\n\ntry:\n    import fastapi\nexcept ImportError:\n    pass\n"
        );
    }

    #[test]
    fn third_party_modules_go_among_third_party_imports() {
        let source = "from typing import List\n\nfrom fastapi import Depends\nfrom sqlalchemy import select\n\nfrom app import deps\n";
        let (text, _) = import(
            source,
            &[Symbol::new("typing_extensions", "Annotated"), ANY],
        );
        assert_eq!(
            text,
            "from typing import Any, List\n\nfrom fastapi import Depends\nfrom sqlalchemy import select\nfrom typing_extensions import Annotated\n\nfrom app import deps\n"
        );
        let source = "import os\n\nfrom sqlalchemy import select\n";
        let (text, _) = import(source, &[Symbol::new("pydantic", "BaseModel")]);
        assert_eq!(
            text,
            "import os\n\nfrom pydantic import BaseModel\nfrom sqlalchemy import select\n"
        );
    }

    #[test]
    fn a_taken_name_is_reached_through_its_module() {
        let owned = |module: &str, name: &str| Symbol::owned(module.to_string(), name.to_string());
        // `User` already means the schema: the ORM class comes through its module.
        let file = SourceFile::new("from app.schemas import User\n");
        let parsed = parse_module(file.text()).unwrap();
        let facts = FastApiFacts::new(parsed.syntax());
        let importer = Importer::new(parsed.syntax(), &facts.imports, &file);
        let imported = importer.import(&[owned("app.db.models", "User")]);
        let fix = Fix::new("import", imported.edits, Safety::Safe);
        assert_eq!(
            apply_fixes(file.text(), &[&fix]).0,
            "from app.db import models\nfrom app.schemas import User\n"
        );
        assert_eq!(imported.references, ["models.User"]);
        assert_eq!(
            imported.notes,
            ["`User` is taken here, so `app.db.models.User` is written `models.User`"]
        );
        // A module the file imports already.
        let source = "from app.schemas import User\nfrom app.db import models\n";
        let (text, references) = import(source, &[owned("app.db.models", "User")]);
        assert_eq!(
            (text.as_str(), references),
            (source, vec!["models.User".to_string()])
        );
        // The module's name is taken too: an alias.
        let (text, references) =
            import("User = 1\nmodels = 2\n", &[owned("app.db.models", "User")]);
        assert_eq!(
            text,
            "from app.db.models import User as ModelsUser\n\nUser = 1\nmodels = 2\n"
        );
        assert_eq!(references, ["ModelsUser"]);
        // A top-level module is imported whole.
        let (text, references) = import("partial = 3\n", &[Symbol::new("functools", "partial")]);
        assert_eq!(text, "import functools\n\npartial = 3\n");
        assert_eq!(references, ["functools.partial"]);
    }

    #[test]
    fn explicit_re_exports() {
        let (text, references) = import(
            "from .user import User\n",
            &[Symbol::owned(".user", "UserRead").re_exported()],
        );
        assert_eq!(text, "from .user import User, UserRead as UserRead\n");
        assert_eq!(references, ["UserRead"]);
    }

    #[test]
    fn a_file_without_trailing_newline() {
        let (text, _) = import("import os", &[ANNOTATED]);
        assert_eq!(text, "import os\nfrom typing import Annotated");
    }

    #[test]
    fn stdlib_list_is_sorted() {
        assert!(STDLIB_MODULES.windows(2).all(|pair| pair[0] < pair[1]));
    }
}
