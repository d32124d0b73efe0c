//! Writing into the app's settings, for the transforms that move values
//! there: the imports a file's edits need, how a module refers to the
//! settings, and what the settings' module gains (fields on the class, the
//! class itself when the project has none, its cached factory, names bound
//! from the settings after it). Each edit looks at the file as it is now,
//! so two transforms writing the same module in one run compose over the
//! fix passes: what one wrote, the other sees and does not write again.

use ruff_python_ast::{Expr, Stmt};
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::project::app_settings::{Accessor, CLASS_NAME, SettingsTarget};
use crate::project::transform::FileContext;
use crate::python::app_settings::{
    NewField, PydanticMajor, factory_text, field_insertion, settings_class_text,
};
use crate::python::imports::Symbol;
use crate::text::edit::Edit;

/// The imports a file's edits need, each asked for once.
#[derive(Debug, Default)]
pub struct Needs {
    symbols: Vec<Symbol>,
}

impl Needs {
    /// The position of `symbol` among the references the edits get.
    pub fn need(&mut self, symbol: Symbol) -> usize {
        if let Some(position) = self.symbols.iter().position(|known| *known == symbol) {
            return position;
        }
        self.symbols.push(symbol);
        self.symbols.len() - 1
    }

    pub fn symbols(&self) -> &[Symbol] {
        &self.symbols
    }

    /// The file's edits: the imports, then each deferred edit given the
    /// names the imports bind.
    pub fn edits(&self, context: &FileContext, deferred: &[Deferred]) -> Vec<Edit> {
        let imported = context.importer().import(&self.symbols);
        let mut edits: Vec<Edit> = imported.edits;
        for make in deferred {
            edits.extend(make(&imported.references));
        }
        edits
    }
}

/// An edit made once the file's references to its imports are known.
pub type Deferred<'s> = Box<dyn Fn(&[String]) -> Vec<Edit> + 's>;

/// A finding's place and message.
pub type Site = (TextRange, String);

/// How a module refers to the settings: the accessor's own name where it
/// is defined, else the name its import binds.
#[derive(Debug, Clone)]
pub struct SettingsReference {
    accessor: Accessor,
    symbol: Option<usize>,
}

impl SettingsReference {
    pub fn new(context: &FileContext, accessor: &Accessor, needs: &mut Needs) -> Self {
        let local = context.module_name == Some(accessor.module());
        let symbol = (!local).then(|| {
            needs.need(Symbol::owned(
                context.module_spelling(accessor.module()),
                accessor.name().to_string(),
            ))
        });
        SettingsReference {
            accessor: accessor.clone(),
            symbol,
        }
    }

    /// `settings` or `get_settings()`, as this module writes it.
    pub fn expression(&self, references: &[String]) -> String {
        let name = match self.symbol {
            Some(position) => references[position].clone(),
            None => self.accessor.name().to_string(),
        };
        self.accessor.expression(&name)
    }
}

/// What a transform writes into the module that holds the settings.
pub struct HomeWrite<'p> {
    pub target: &'p SettingsTarget,
    pub accessor: Option<&'p Accessor>,
    pub major: PydanticMajor,
    /// Fields the class must have.
    pub fields: &'p [NewField],
    /// What a new class's configuration reads.
    pub env_file: &'p str,
    /// Names bound from the settings after the accessor (`SECRET_KEY =
    /// settings.secret_key`): the target as written, and the field.
    pub bindings: Vec<(String, String)>,
}

impl HomeWrite<'_> {
    /// The edits, when this module is the settings' or the accessor's.
    pub fn write<'s>(
        self,
        context: &FileContext<'s>,
        needs: &mut Needs,
        deferred: &mut Vec<Deferred<'s>>,
        sites: &mut Vec<Site>,
    ) {
        let Some(module) = context.module_name else {
            return;
        };
        let source = context.source;
        let ending = source.line_ending().as_str();
        let quote = source.quote().as_char();
        let indent = source.indent_unit().to_string();
        let class_name = match self.target {
            SettingsTarget::Class(class) => class.name.as_str(),
            SettingsTarget::New(_) => CLASS_NAME,
        };
        let home = self.target.module() == module;
        let class = home
            .then(|| context.facts.module_classes.get(class_name).copied())
            .flatten();
        let mut bindings = self.bindings;
        let binding_lines = move |bindings: &[(String, String)], settings: &str| -> String {
            bindings
                .iter()
                .map(|(target, field)| format!("{target} = {settings}.{field}{ending}"))
                .collect()
        };
        // Fields the class lacks, as its text is now.
        if let Some(class) = class {
            let present: Vec<String> = class
                .body
                .iter()
                .filter_map(|stmt| match stmt {
                    Stmt::AnnAssign(assign) => match assign.target.as_ref() {
                        Expr::Name(name) => Some(name.id.to_lowercase()),
                        _ => None,
                    },
                    _ => None,
                })
                .collect();
            let missing: Vec<&NewField> = self
                .fields
                .iter()
                .filter(|field| !present.contains(&field.name.to_lowercase()))
                .collect();
            if !missing.is_empty() {
                let (at, body_indent, before) = field_insertion(source, class);
                // `List[str]` (before 3.9) needs `typing.List`.
                let list = missing
                    .iter()
                    .any(|field| field.annotation.starts_with("List["))
                    .then(|| needs.need(Symbol::new("typing", "List")));
                let lines: Vec<NewField> = missing.iter().map(|field| (*field).clone()).collect();
                deferred.push(Box::new(move |references| {
                    let text: String = std::iter::once(before.to_string())
                        .chain(lines.iter().map(|field| {
                            let mut field = field.clone();
                            if let (Some(position), Some(rest)) =
                                (list, field.annotation.strip_prefix("List"))
                            {
                                field.annotation = format!("{}{rest}", references[position]);
                            }
                            format!("{body_indent}{}{ending}", field.line())
                        }))
                        .collect();
                    vec![Edit::insertion(text, at)]
                }));
                let names: Vec<String> = missing
                    .iter()
                    .map(|field| format!("`{}`", field.name))
                    .collect();
                sites.push((
                    class.name.range(),
                    format!("add {} to `{class_name}`", names.join(", ")),
                ));
            }
        }
        // The whole class, with its factory, when the project has none.
        if home && class.is_none() && matches!(self.target, SettingsTarget::New(_)) {
            let (base, config_dict) = match self.major {
                PydanticMajor::V2 => (
                    needs.need(Symbol::new("pydantic_settings", "BaseSettings")),
                    Some(needs.need(Symbol::new("pydantic_settings", "SettingsConfigDict"))),
                ),
                PydanticMajor::V1 => (needs.need(Symbol::new("pydantic", "BaseSettings")), None),
            };
            let cache = needs.need(Symbol::new("functools", "lru_cache"));
            let at = new_class_offset(context);
            let before = blank_lines_before(source.text(), at);
            let has_after = usize::from(at) < source.text().len();
            let fields = self.fields.to_vec();
            let major = self.major;
            let env_file = self.env_file.to_string();
            let indent = indent.clone();
            let bindings = std::mem::take(&mut bindings);
            deferred.push(Box::new(move |references| {
                let mut text = ending.repeat(2usize.saturating_sub(before));
                text.push_str(&settings_class_text(
                    major,
                    CLASS_NAME,
                    &references[base],
                    config_dict.map_or("", |position| references[position].as_str()),
                    &references[cache],
                    &fields,
                    &env_file,
                    quote,
                    &indent,
                    ending,
                ));
                if !bindings.is_empty() {
                    text.push_str(ending);
                    text.push_str(&binding_lines(
                        &bindings,
                        &format!("{}()", crate::python::app_settings::FACTORY),
                    ));
                }
                if has_after {
                    text.push_str(ending);
                    text.push_str(ending);
                }
                vec![Edit::insertion(text, at)]
            }));
            sites.push((
                TextRange::empty(at),
                format!("define the settings class `{CLASS_NAME}` here"),
            ));
            return;
        }
        let Some(accessor) = self.accessor.filter(|accessor| accessor.module() == module) else {
            return;
        };
        // A factory for settings nothing reaches yet, after the class.
        if let Accessor::Factory {
            name,
            exists: false,
            ..
        } = accessor
            && let Some(written) = factory_after_class(
                context,
                class_name,
                name,
                std::mem::take(&mut bindings),
                needs,
            )
        {
            let (edit, site) = written;
            deferred.push(edit);
            sites.push(site);
            return;
        }
        // Names bound after an accessor defined later than they were.
        if !bindings.is_empty()
            && let Some(end) = accessor_end(context, accessor)
        {
            let settings = accessor.expression(accessor.name());
            // Two blank lines after a function, as after any definition.
            let after_function = context.facts.module_functions.contains_key(accessor.name());
            let separation = if after_function {
                ending.repeat(2)
            } else {
                String::new()
            };
            let text = format!("{separation}{}", binding_lines(&bindings, &settings));
            deferred.push(Box::new(move |_| vec![Edit::insertion(text.clone(), end)]));
        }
    }
}

/// A cached factory `name` for the class `class_name` of this module,
/// written after the class (and `bindings` after it), unless the module
/// defines `name` already or has no such class.
pub fn factory_after_class<'s>(
    context: &FileContext<'s>,
    class_name: &str,
    name: &str,
    bindings: Vec<(String, String)>,
    needs: &mut Needs,
) -> Option<(Deferred<'s>, Site)> {
    if context.facts.module_functions.contains_key(name) {
        return None;
    }
    let class = context.facts.module_classes.get(class_name)?;
    let source = context.source;
    let ending = source.line_ending().as_str();
    let indent = source.indent_unit().to_string();
    let cache = needs.need(Symbol::new("functools", "lru_cache"));
    let anchor = source.full_line_end(class.end());
    let has_after = usize::from(anchor) < source.text().len();
    let name = name.to_string();
    let class_name = class_name.to_string();
    let site = (
        TextRange::empty(anchor),
        format!("define `{name}()`, the settings' cached factory"),
    );
    let edit: Deferred = Box::new(move |references| {
        let mut text = format!("{ending}{ending}");
        text.push_str(&factory_text(
            &name,
            &class_name,
            &references[cache],
            &indent,
            ending,
        ));
        if !bindings.is_empty() {
            text.push_str(ending);
            for (target, field) in &bindings {
                text.push_str(&format!("{target} = {name}().{field}{ending}"));
            }
            if has_after {
                text.push_str(ending);
            }
        }
        vec![Edit::insertion(text, anchor)]
    });
    Some((edit, site))
}

/// Whether module-level code at `offset` comes before the settings exist
/// in this module: before the statement binding the accessor, or before
/// the class a new factory follows.
pub fn before_accessor(
    context: &FileContext,
    target: &SettingsTarget,
    accessor: &Accessor,
    offset: TextSize,
) -> bool {
    if context.module_name != Some(accessor.module()) {
        return false;
    }
    if let Some(end) = accessor_end(context, accessor) {
        return offset < end;
    }
    // A factory still to write goes after the class (a new class, before
    // everything but the imports).
    match target {
        SettingsTarget::Class(class) => context
            .facts
            .module_classes
            .get(&class.name)
            .is_some_and(|class| offset < class.end()),
        SettingsTarget::New(_) => false,
    }
}

/// Where the statement that binds the accessor ends (the start of the
/// line after it), in this module, as its text is now.
fn accessor_end(context: &FileContext, accessor: &Accessor) -> Option<TextSize> {
    let name = accessor.name();
    context
        .module
        .body
        .iter()
        .find(|stmt| {
            crate::python::fastapi::binds_at_module_level(std::slice::from_ref(*stmt), name)
        })
        .map(|stmt| context.source.full_line_end(stmt.end()))
}

/// Where a new settings class goes in an existing module: before the
/// first statement that is not the docstring or an import; at the end
/// when there is none.
fn new_class_offset(context: &FileContext) -> TextSize {
    let first = context
        .module
        .body
        .iter()
        .enumerate()
        .find(|(position, stmt)| {
            !matches!(stmt, Stmt::Import(_) | Stmt::ImportFrom(_))
                && !(*position == 0
                    && matches!(stmt, Stmt::Expr(expr) if expr.value.is_string_literal_expr()))
        });
    match first {
        Some((_, stmt)) => context.source.line_start(stmt.start()),
        None => context.source.text_len(),
    }
}

/// How many blank lines end the text before `offset` (two at the start).
fn blank_lines_before(text: &str, offset: TextSize) -> usize {
    let before = &text[..usize::from(offset)];
    if before.is_empty() {
        return 2;
    }
    before
        .split_inclusive('\n')
        .rev()
        .take_while(|line| line.trim().is_empty())
        .count()
}
