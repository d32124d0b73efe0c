//! # domain-layout (opt-in)
//!
//! ## What it does
//! Moves a project laid out by file type (`routers/`, `api/api_v1/endpoints/`,
//! `schemas/`, `models/`, `crud/`, `repositories/`, `services/`, at any
//! depth) to one package per domain, each holding its own `router.py`,
//! `schemas.py`, `models.py`, `crud.py`, `service.py`, `dependencies.py`
//! and `exceptions.py`, and rewrites every import in the project to the
//! new places.
//!
//! Domains come from the layers' file stems, matched across layers in the
//! spellings real projects use: `routers/users.py`, `schemas/user.py`,
//! `models/user.py` and `crud/crud_user.py` are the domain `users` (named
//! after its router). A stem found in two layers, or a router's, is a
//! domain; a layer split per domain into packages (`routes/recipe/…`)
//! moves each package whole (`recipe/router/…`). The domains go in the
//! package that holds the layers (`app/users/router.py`). What belongs to
//! no single domain stays where it is: `base.py`, `deps.py`, `utils.py`,
//! `session.py`. A layer's `__init__.py` stops re-exporting what moved
//! (every use follows to the new place: `from app import crud` becomes
//! `from app.users import crud` when the file uses only that domain's,
//! else `crud.user` becomes `users_crud.user`), and goes when that leaves
//! it empty, unless the project is a library
//! (`[tool.fastapi-codemod.domain-layout] library = true`) or imports it
//! for its side effects (`import app.models`). A `models/__init__.py` that
//! imports every model registered them all whenever one was imported
//! (SQLAlchemy finds `relationship("Item")` by name); no move can keep that
//! implicit, so it is kept as it was, re-exporting from the new places, and
//! `check` says to import it where every model must be loaded.
//!
//! Imports are rewritten everywhere, tests included: absolute and relative
//! (kept relative, recomputed from where the importing file now is),
//! `import a.b as c`, `import app.models.user` with every
//! `app.models.user.X` that uses it, `from app.models import user` (which
//! becomes `from app.users import models as user`), and strings that name
//! a moved module: `mock.patch("app.crud.user.get")` targets,
//! `"app.models.user:User"`, dotted paths in configuration.
//!
//! Every import follows, whatever comments it carries: a line cannot opt
//! out of a move (`# noqa` on a registration import included), since an
//! import left behind would point at nothing. Exclude the files of a
//! layer to keep it.
//!
//! A layer split per domain into packages moves each package with the
//! files beside its modules (templates, prompts); one holding a file that
//! is not text stays, and `check` says why.
//!
//! Nothing is overwritten: a domain whose new place exists already stays,
//! and `check` says why. `apply` writes the new modules first (each after
//! the new modules it imports), then the files that import them, and
//! removes the old places last, so a run stopped part-way leaves every
//! import resolving, and `apply` again (with `--allow-dirty`, since the
//! stopped run left changes) finishes it: a new place that defines what
//! the old one does is taken as a move already written. The contents move
//! with only their imports changed, so git sees each move as a rename.
//!
//! ## Why is this bad?
//! A layout by file type scatters one feature over every package: a change
//! to users touches `routers/`, `schemas/`, `models/` and `crud/`, and
//! nothing says which schemas belong with which routes. One package per
//! domain keeps a feature together, lets each domain own its
//! dependencies and exceptions, and shows the dependencies between domains
//! in the imports.
//!
//! ## Example
//! ```python
//! # file: app/__init__.py
//! # file: app/routers/__init__.py
//! # file: app/routers/users.py
//! from fastapi import APIRouter
//!
//! from ..schemas.user import UserRead
//! from app.crud import crud_user
//!
//! router = APIRouter()
//!
//!
//! @router.get("/users/{user_id}")
//! def read_user(user_id: int) -> UserRead:
//!     return crud_user.get(user_id)
//! # file: app/schemas/__init__.py
//! # file: app/schemas/user.py
//! from pydantic import BaseModel
//!
//!
//! class UserRead(BaseModel):
//!     id: int
//! # file: app/crud/__init__.py
//! # file: app/crud/crud_user.py
//! from app.schemas.user import UserRead
//!
//!
//! def get(user_id: int) -> UserRead:
//!     return UserRead(id=user_id)
//! # file: app/main.py
//! from fastapi import FastAPI
//!
//! from app.routers import users
//!
//! app = FastAPI()
//! app.include_router(users.router)
//! ```
//!
//! Use instead:
//! ```python
//! # file: app/__init__.py
//! # file: app/users/__init__.py
//! # file: app/users/router.py
//! from fastapi import APIRouter
//!
//! from .schemas import UserRead
//! from app.users import crud as crud_user
//!
//! router = APIRouter()
//!
//!
//! @router.get("/users/{user_id}")
//! def read_user(user_id: int) -> UserRead:
//!     return crud_user.get(user_id)
//! # file: app/users/schemas.py
//! from pydantic import BaseModel
//!
//!
//! class UserRead(BaseModel):
//!     id: int
//! # file: app/users/crud.py
//! from app.users.schemas import UserRead
//!
//!
//! def get(user_id: int) -> UserRead:
//!     return UserRead(id=user_id)
//! # file: app/main.py
//! from fastapi import FastAPI
//!
//! from app.users import router as users
//!
//! app = FastAPI()
//! app.include_router(users.router)
//! ```
//!
//! ## Fix safety
//! Opt-in: it moves files, which every open branch of the project will
//! have to merge. What the application does is unchanged: every module
//! keeps its contents and every import finds what it found before.
//!
//! Run it on the whole project (`apply --select domain-layout .` from the
//! project's directory): a file outside the run (a narrower path, an
//! `exclude`, a file that is not UTF-8) is not rewritten, and may import a
//! module that moved. Not seen either: code outside the project that
//! imports the old paths (a library's users), module paths in files that
//! are not Python (`alembic.ini`, `[project.scripts]`, a
//! `uvicorn app.routers.users:…` command line), strings that spell a
//! module in pieces or in an f-string, modules imported through
//! `importlib` with computed names, and paths computed from `__file__`
//! (`Path(__file__).parents[3] / "static"`), which change depth with the
//! module.

pub mod plan;

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::project::transform::{FileContext, Findings, Transform};
use crate::python::fastapi::{dotted_text, resolve_relative};
use crate::python::imports::{Symbol, local_import_removal, relative_spelling};
use crate::python::naming::dotted_module_path;
use crate::text::edit::{Edit, Fix, Safety};

use plan::LayoutPlan;

pub static TRANSFORM: Transform = Transform {
    name: "domain-layout",
    safety: Safety::OptIn,
    summary: "A project laid out by file type (`routers/`, `schemas/`, `models/`, `crud/`) moves to one package per domain, every import rewritten",
    ruff_code: None,
    source: include_str!("domain_layout.rs"),
    run,
    plan: Some(plan::plan),
    configure: Some(plan::configure),
    requires: None,
};

fn run(context: &FileContext, findings: &mut Findings) {
    let Some(plan) = context.plan::<LayoutPlan>() else {
        return;
    };
    if let Some(why) = context.module_name.and_then(|name| plan.stays.get(name)) {
        findings.push(&TRANSFORM, TextRange::default(), why.clone(), None);
    }
    if let Some(note) = context
        .module_name
        .and_then(|name| plan.registrations.get(name))
        .filter(|_| plan.moves_anything())
    {
        findings.push(&TRANSFORM, TextRange::default(), note.clone(), None);
    }
    if !plan.moves_anything() {
        return;
    }
    let here = Location::of(context, plan);
    // A layer's `__init__.py` drops the re-exports its own code does not
    // use (`router.include_router(users_router)` keeps its import).
    let dropped: Vec<&str> = match context
        .module_name
        .map(|name| plan.stops_re_exporting(name))
    {
        Some(names) if !names.is_empty() => {
            let used = crate::python::bindings::referenced_names(
                context.module,
                context.tokens,
                context.source,
            );
            names
                .into_iter()
                .filter(|name| !used.contains(*name))
                .collect()
        }
        _ => Vec::new(),
    };
    let mut imports = ImportStatements::default();
    imports.visit_body(&context.module.body);
    // A first look at the imports finds the layer packages bound to a
    // name; one whose every use reaches a single new module is bound to
    // that module instead, its uses unchanged (`from app import crud` →
    // `from app.users import crud`).
    let mut survey = Rewrite::new(context, plan, &here, Vec::new(), Vec::new());
    survey.imports(&imports.found);
    let mut census = PackageCensus {
        plan,
        packages: &survey.packages,
        uses: vec![PackageUses::default(); survey.packages.len()],
    };
    census.visit_body(&context.module.body);
    for (binding, uses) in survey.packages.iter().zip(&census.uses) {
        if let Some(range) = uses.bare {
            findings.push(
                &TRANSFORM,
                range,
                format!(
                    "`{}` is used as an object here; `{}` stops re-exporting what moved, so look up those names at their new places",
                    binding.name, binding.layer
                ),
                None,
            );
        }
    }
    let rebound: Vec<(String, String)> = survey
        .packages
        .iter()
        .zip(&census.uses)
        .filter_map(|(binding, uses)| Some((binding.name.clone(), uses.single_module()?)))
        .collect();
    let mut rewrite = Rewrite::new(context, plan, &here, dropped, rebound);
    rewrite.imports(&imports.found);
    let still_bound: Vec<PackageBinding> = rewrite
        .packages
        .iter()
        .filter(|binding| {
            !rewrite
                .rebound
                .iter()
                .any(|(name, _)| *name == binding.name)
        })
        .cloned()
        .collect();
    let mut uses = Uses {
        plain: &rewrite.plain,
        packages: &still_bound,
        plan,
        context,
        edits: Vec::new(),
        renamed: Vec::new(),
        package_uses: Vec::new(),
    };
    uses.visit_body(&context.module.body);
    rewrite.edits.extend(uses.edits);
    rewrite.renamed.extend(uses.renamed);
    rewrite
        .edits
        .extend(package_use_edits(context, uses.package_uses));
    let moves_to = context
        .module_name
        .and_then(|name| plan.destination(name))
        .map(|path| {
            let shown = path.to_string_lossy().replace('\\', "/");
            shown
                .strip_prefix("./")
                .map(str::to_string)
                .unwrap_or(shown)
        });
    let first = rewrite
        .edits
        .iter()
        .map(Ranged::range)
        .min_by_key(|range| range.start())
        .unwrap_or_default();
    let mut renamed = rewrite.renamed;
    renamed.sort();
    renamed.dedup();
    let named = renamed
        .iter()
        .take(3)
        .map(|(old, new)| format!("`{old}` → `{new}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let more = if renamed.len() > 3 { ", …" } else { "" };
    let message = match (&moves_to, renamed.is_empty() || rewrite.edits.is_empty()) {
        (Some(to), true) => format!("moves to `{to}`"),
        (Some(to), false) => format!("moves to `{to}`; its imports follow: {named}{more}"),
        (None, false) => format!("imports modules that move to domain packages: {named}{more}"),
        (None, true) if !rewrite.edits.is_empty() && !rewrite.dropped.is_empty() => format!(
            "stops re-exporting what moved to domain packages ({}), where the project now imports it from",
            rewrite
                .dropped
                .iter()
                .map(|name| format!("`{name}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        (None, true) => return,
    };
    // No line opts out (`# noqa` on a registration import included): an
    // import left pointing at a module that moved would break.
    let range = if rewrite.edits.is_empty() {
        TextRange::default()
    } else {
        first
    };
    let fix = (!rewrite.edits.is_empty()).then(|| {
        Fix::new(
            "point the imports at the domain packages",
            rewrite.edits,
            Safety::OptIn,
        )
    });
    findings.push(&TRANSFORM, range, message, fix);
}

/// Where the file is, before and after the run.
struct Location {
    /// Its module, as the project names it now.
    old: Option<String>,
    /// Its module once the run has moved it (the same when it stays).
    new: Option<String>,
    /// Whether it moves.
    moves: bool,
    is_package: bool,
}

impl Location {
    fn of(context: &FileContext, plan: &LayoutPlan) -> Location {
        let old = context.module_name.map(str::to_string);
        let moved = old.as_deref().and_then(|name| plan.new_name(name));
        Location {
            moves: moved.is_some(),
            new: moved.or_else(|| old.clone()),
            old,
            is_package: context.is_package,
        }
    }
}

/// Every import statement of the module, in functions and blocks too.
#[derive(Default)]
struct ImportStatements<'a> {
    found: Vec<&'a Stmt>,
}

impl<'a> Visitor<'a> for ImportStatements<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::Import(_) | Stmt::ImportFrom(_) => self.found.push(stmt),
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, _expr: &'a Expr) {}
}

/// The edits of one module's imports.
struct Rewrite<'c, 'a> {
    context: &'c FileContext<'a>,
    plan: &'a LayoutPlan,
    here: &'c Location,
    edits: Vec<Edit>,
    /// Old module → new, as the finding names them.
    renamed: Vec<(String, String)>,
    /// Modules imported plainly (`import app.models.user`) that move: the
    /// code names them through their dotted path.
    plain: Vec<(String, String)>,
    /// Layer packages bound to a name (`from app import crud`) whose
    /// re-exports go: the name and the layer.
    packages: Vec<PackageBinding>,
    /// In a layer's `__init__.py`: the re-exports it stops making.
    dropped: Vec<&'a str>,
    /// Names bound to a layer package that are bound to one new module
    /// instead: the name and the module.
    rebound: Vec<(String, String)>,
}

/// `from app import crud`: a layer package bound to a name.
#[derive(Debug, Clone)]
struct PackageBinding {
    name: String,
    layer: String,
}

/// Where one imported name comes from after the run.
#[derive(Debug, PartialEq, Eq)]
struct Imported {
    module: String,
    name: String,
    alias: Option<String>,
}

impl<'c, 'a> Rewrite<'c, 'a> {
    fn new(
        context: &'c FileContext<'a>,
        plan: &'a LayoutPlan,
        here: &'c Location,
        dropped: Vec<&'a str>,
        rebound: Vec<(String, String)>,
    ) -> Self {
        Rewrite {
            context,
            plan,
            here,
            edits: Vec::new(),
            renamed: Vec::new(),
            plain: Vec::new(),
            packages: Vec::new(),
            dropped,
            rebound,
        }
    }

    fn imports(&mut self, statements: &[&Stmt]) {
        for statement in statements {
            match statement {
                Stmt::Import(import) => self.import(import),
                Stmt::ImportFrom(import) => self.import_from(statement, import),
                _ => {}
            }
        }
    }

    /// Whether a relative import of a file that moves is as the project
    /// wrote it (read from the file's old place, it binds what the index
    /// recorded), rather than already spelled from the new place.
    fn as_written(&self, old: &str, base: &str, import: &ast::StmtImportFrom) -> bool {
        let recorded = self
            .context
            .project
            .index
            .module(old)
            .map(|summary| &summary.imports);
        let mut judged = false;
        for alias in &import.names {
            if alias.name.id.as_str() == "*" {
                continue;
            }
            let bound = alias.asname.as_ref().unwrap_or(&alias.name).id.as_str();
            let Some(target) = recorded.and_then(|imports| imports.get(bound)) else {
                continue;
            };
            judged = true;
            let read = if base.is_empty() {
                alias.name.id.to_string()
            } else {
                format!("{base}.{}", alias.name.id)
            };
            if target.as_str() != read {
                return false;
            }
        }
        // Without a record (a star import), what it names must exist.
        judged || self.plan.is_known(base)
    }

    /// The module a name bound to a layer package is bound to instead.
    fn rebinding(&self, name: &str) -> Option<&str> {
        self.rebound
            .iter()
            .find(|(bound, _)| bound == name)
            .map(|(_, module)| module.as_str())
    }

    fn import(&mut self, import: &ast::StmtImport) {
        for alias in &import.names {
            let name = alias.name.id.as_str();
            if let Some(asname) = &alias.asname
                && !self.plan.stops_re_exporting(name).is_empty()
            {
                self.packages.push(PackageBinding {
                    name: asname.id.to_string(),
                    layer: name.to_string(),
                });
                if let Some(module) = self.rebinding(asname.id.as_str()) {
                    let module = module.to_string();
                    self.renamed.push((name.to_string(), module.clone()));
                    self.edits
                        .push(Edit::replacement(module, alias.name.range()));
                    continue;
                }
            }
            let Some(new) = self.plan.new_name(name) else {
                continue;
            };
            self.edits
                .push(Edit::replacement(new.clone(), alias.name.range()));
            if alias.asname.is_none() {
                self.plain.push((name.to_string(), new.clone()));
            }
            self.renamed.push((name.to_string(), new));
        }
    }

    fn import_from(&mut self, statement: &Stmt, import: &ast::StmtImportFrom) {
        // A layer's `__init__.py` stops re-exporting what moved.
        let dropped: Vec<String> = import
            .names
            .iter()
            .map(|alias| alias.asname.as_ref().unwrap_or(&alias.name).id.to_string())
            .filter(|bound| self.dropped.contains(&bound.as_str()))
            .collect();
        if !dropped.is_empty() {
            self.edits.extend(local_import_removal(
                statement,
                self.context.tokens,
                self.context.source,
                &dropped,
            ));
            return;
        }
        let module = import.module.as_ref().map(|module| module.id.as_str());
        let relative = import.level > 0;
        let base = if relative {
            let Some(old) = self.here.old.as_deref() else {
                return;
            };
            let Some(base) = resolve_relative(old, self.here.is_package, import.level, module)
            else {
                return;
            };
            // In a file that moves, a relative import is spelled from where
            // the file was until this run rewrites it from where it goes.
            // The index knows what the original imports bound: an import
            // that, read from the old place, binds something else was
            // rewritten by an earlier pass of this run.
            if self.here.moves && !self.as_written(old, &base, import) {
                return;
            }
            base
        } else {
            match module {
                Some(module) => module.to_string(),
                None => return,
            }
        };
        let moved_base = self.plan.new_name(&base);
        let mut targets: Vec<Imported> = Vec::new();
        for alias in &import.names {
            let name = alias.name.id.as_str();
            let asname = alias.asname.as_ref().map(|asname| asname.id.to_string());
            let full = if base.is_empty() {
                name.to_string()
            } else {
                format!("{base}.{name}")
            };
            let moved_module = (name != "*")
                .then(|| self.plan.new_name(&full))
                .flatten()
                .filter(|_| moved_base.is_none());
            let target = match (moved_module, &moved_base) {
                // `from app.models import user` → `from app.users import models as user`.
                (Some(new), _) => {
                    let (package, last) = new.rsplit_once('.').unwrap_or(("", new.as_str()));
                    let bound = asname.unwrap_or_else(|| name.to_string());
                    self.renamed.push((full.clone(), new.clone()));
                    Imported {
                        module: package.to_string(),
                        name: last.to_string(),
                        alias: (bound != last).then_some(bound),
                    }
                }
                (None, Some(new_base)) => Imported {
                    module: new_base.clone(),
                    name: name.to_string(),
                    alias: asname,
                },
                // `from app.schemas import User`, re-exported from a module
                // that moved → `from app.users.schemas import User`.
                (None, None) => match self.plan.re_exported(&base, name) {
                    Some((module, original)) => {
                        let bound = asname.unwrap_or_else(|| name.to_string());
                        self.renamed
                            .push((full.clone(), format!("{module}.{original}")));
                        Imported {
                            module: module.to_string(),
                            name: original.to_string(),
                            alias: (bound != original).then_some(bound),
                        }
                    }
                    None => {
                        // `from app import crud`: uses of its re-exports follow.
                        let bound = asname.clone().unwrap_or_else(|| name.to_string());
                        if !self.plan.stops_re_exporting(&full).is_empty() {
                            self.packages.push(PackageBinding {
                                name: bound.clone(),
                                layer: full.clone(),
                            });
                        }
                        match self.rebinding(&bound).map(str::to_string) {
                            Some(module) => {
                                self.renamed.push((full.clone(), module.clone()));
                                let (package, last) =
                                    module.rsplit_once('.').unwrap_or(("", module.as_str()));
                                Imported {
                                    module: package.to_string(),
                                    name: last.to_string(),
                                    alias: (bound != last).then_some(bound),
                                }
                            }
                            None => Imported {
                                module: base.clone(),
                                name: name.to_string(),
                                alias: asname,
                            },
                        }
                    }
                },
            };
            targets.push(target);
        }
        if let Some(new_base) = &moved_base {
            self.renamed.push((base.clone(), new_base.clone()));
        }
        let spell = |module: &str| -> String {
            match (relative, self.here.new.as_deref()) {
                (true, Some(here)) => relative_spelling(here, self.here.is_package, module)
                    .unwrap_or_else(|| module.to_string()),
                _ => module.to_string(),
            }
        };
        let unchanged_names = import.names.iter().zip(&targets).all(|(alias, target)| {
            alias.name.id.as_str() == target.name
                && alias.asname.as_ref().map(|asname| asname.id.as_str()) == target.alias.as_deref()
        });
        let one_module = targets
            .windows(2)
            .all(|pair| pair[0].module == pair[1].module);
        let source = self.context.source;
        let Some(first) = targets.first() else {
            return;
        };
        if unchanged_names && one_module {
            let Some(region) = module_region(source.text(), import.range()) else {
                return;
            };
            let spelled = spell(&first.module);
            if source.slice(region) != spelled {
                self.edits.push(Edit::replacement(spelled, region));
            }
            return;
        }
        // Names that now come from different modules: one line each. The
        // names that stay keep their statement, with its comments.
        let stays = moved_base.is_none() && targets.iter().any(|target| target.module == base);
        let mut groups: Vec<(String, Vec<&Imported>)> = Vec::new();
        for target in &targets {
            if stays && target.module == base {
                continue;
            }
            match groups
                .iter_mut()
                .find(|(module, _)| *module == target.module)
            {
                Some((_, members)) => members.push(target),
                None => groups.push((target.module.clone(), vec![target])),
            }
        }
        let ending = source.line_ending().as_str();
        let indent = source.indentation_at(import.start()).to_string();
        let lines: Vec<String> = groups
            .iter()
            .map(|(module, members)| {
                let names = members
                    .iter()
                    .map(|member| match &member.alias {
                        Some(alias) => format!("{} as {alias}", member.name),
                        None => member.name.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                format!("from {} import {names}", spell(module))
            })
            .collect();
        if !stays {
            self.edits.push(Edit::replacement(
                lines.join(&format!("{ending}{indent}")),
                import.range(),
            ));
            return;
        }
        let leaving: Vec<String> = import
            .names
            .iter()
            .zip(&targets)
            .filter(|(_, target)| target.module != base)
            .map(|(alias, _)| alias.asname.as_ref().unwrap_or(&alias.name).id.to_string())
            .collect();
        self.edits.extend(local_import_removal(
            statement,
            self.context.tokens,
            source,
            &leaving,
        ));
        if let Some(region) = module_region(source.text(), import.range()) {
            let spelled = spell(&base);
            if source.slice(region) != spelled {
                self.edits.push(Edit::replacement(spelled, region));
            }
        }
        let mut inserted = lines.join(&format!("{ending}{indent}"));
        inserted.push_str(ending);
        inserted.push_str(&indent);
        self.edits.push(Edit::insertion(inserted, import.start()));
    }
}

/// The module part of `from X import …` (`X`, dots included).
fn module_region(text: &str, statement: TextRange) -> Option<TextRange> {
    let start = usize::from(statement.start());
    let body = &text[start..usize::from(statement.end())];
    let after_from = body.strip_prefix("from")?;
    let mut at = 4;
    let mut region_start = None;
    let mut region_end = 4;
    let bytes = after_from.as_bytes();
    let mut position = 0;
    while position < bytes.len() {
        let byte = bytes[position];
        if byte == b' ' || byte == b'\t' || byte == b'\\' || byte == b'\r' || byte == b'\n' {
            position += 1;
            continue;
        }
        if byte == b'.' {
            region_start.get_or_insert(position);
            position += 1;
            region_end = position;
            continue;
        }
        let word_start = position;
        while position < bytes.len()
            && (bytes[position].is_ascii_alphanumeric()
                || bytes[position] == b'_'
                || bytes[position] >= 0x80)
        {
            position += 1;
        }
        if position == word_start || &after_from[word_start..position] == "import" {
            break;
        }
        region_start.get_or_insert(word_start);
        region_end = position;
    }
    let region_start = region_start?;
    at += region_start;
    let end = 4 + region_end;
    Some(TextRange::new(
        TextSize::try_from(start + at).ok()?,
        TextSize::try_from(start + end).ok()?,
    ))
}

/// How a file uses one layer package bound to a name.
#[derive(Debug, Clone, Default)]
struct PackageUses {
    /// The new modules its re-exports come from, each use's, with whether
    /// the name is the same there.
    modules: Vec<(String, bool)>,
    /// Whether the name is used otherwise: bare, or for a name that did
    /// not move.
    other: bool,
    /// Where the name is used bare (`getattr(crud, "user")`, `c = crud`),
    /// which no rewrite can follow.
    bare: Option<TextRange>,
}

impl PackageUses {
    /// The one module every use reaches, under the same names.
    fn single_module(&self) -> Option<String> {
        let (first, _) = self.modules.first()?;
        let single = !self.other
            && self
                .modules
                .iter()
                .all(|(module, same)| module == first && *same);
        single.then(|| first.clone())
    }
}

/// The uses of the layer packages a file binds to names.
struct PackageCensus<'p, 'a> {
    plan: &'a LayoutPlan,
    packages: &'p [PackageBinding],
    uses: Vec<PackageUses>,
}

impl<'a> Visitor<'a> for PackageCensus<'_, 'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if matches!(stmt, Stmt::Import(_) | Stmt::ImportFrom(_)) {
            return;
        }
        visitor::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        let binding = |name: &str| {
            self.packages
                .iter()
                .position(|binding| binding.name == name)
        };
        match expr {
            Expr::Attribute(attribute) => {
                if let Expr::Name(name) = &*attribute.value
                    && let Some(at) = binding(name.id.as_str())
                {
                    let layer = &self.packages[at].layer;
                    match self.plan.re_exported(layer, attribute.attr.as_str()) {
                        Some((module, original)) => self.uses[at]
                            .modules
                            .push((module.to_string(), original == attribute.attr.as_str())),
                        None => self.uses[at].other = true,
                    }
                    return;
                }
                visitor::walk_expr(self, expr);
            }
            Expr::Name(name) => {
                if let Some(at) = binding(name.id.as_str()) {
                    self.uses[at].other = true;
                    self.uses[at].bare.get_or_insert(name.range);
                }
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}

/// The code's uses of moved modules: attribute chains through a plain
/// import (`app.models.user.User`), and strings that name one
/// (`"app.crud.user.get"`).
struct Uses<'p, 'c, 'a> {
    plain: &'p [(String, String)],
    packages: &'p [PackageBinding],
    plan: &'a LayoutPlan,
    context: &'c FileContext<'a>,
    edits: Vec<Edit>,
    renamed: Vec<(String, String)>,
    /// Uses of a layer package that now name a domain's module.
    package_uses: Vec<PackageUse>,
}

/// `crud.user` through `from app import crud`, which now names a domain's
/// module: `users_crud.user`.
struct PackageUse {
    range: TextRange,
    /// The domain's module (`app.users.crud`).
    module: String,
    /// The name used in it, or none when the use is the module itself
    /// (`models.user` → `users_models`).
    name: Option<String>,
}

/// The edits of the uses of layer packages that now name a domain's
/// module, and of the imports of those modules, each under the alias
/// `<domain>_<module>` (`from app.users import crud as users_crud`), made
/// available as every transform imports (a name the file binds already is
/// not bound again).
fn package_use_edits(context: &FileContext, uses: Vec<PackageUse>) -> Vec<Edit> {
    let mut modules: Vec<&str> = uses.iter().map(|found| found.module.as_str()).collect();
    modules.sort_unstable();
    modules.dedup();
    let symbols: Vec<Symbol> = modules
        .iter()
        .filter_map(|module| {
            let (package, last) = module.rsplit_once('.')?;
            let domain = package.rsplit('.').next().unwrap_or(package);
            Some(Symbol {
                module: package.to_string().into(),
                name: last.to_string().into(),
                alias: Some(format!("{domain}_{last}").into()),
            })
        })
        .collect();
    if symbols.len() != modules.len() {
        return Vec::new();
    }
    let imported = context.importer().import(&symbols);
    let mut edits = imported.edits;
    for found in &uses {
        let Ok(at) = modules.binary_search(&found.module.as_str()) else {
            continue;
        };
        let reference = &imported.references[at];
        let text = match &found.name {
            Some(name) => format!("{reference}.{name}"),
            None => reference.clone(),
        };
        edits.push(Edit::replacement(text, found.range));
    }
    edits
}

impl<'a> Visitor<'a> for Uses<'_, '_, 'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if matches!(stmt, Stmt::Import(_) | Stmt::ImportFrom(_)) {
            return;
        }
        visitor::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Attribute(attribute)
                if !self.packages.is_empty()
                    && matches!(&*attribute.value, Expr::Name(name) if self.packages.iter().any(|binding| binding.name == name.id.as_str())) =>
            {
                if !self.package_use(attribute) {
                    visitor::walk_expr(self, expr);
                }
            }
            Expr::Attribute(_) if !self.plain.is_empty() => {
                // Only a chain on the name a plain import binds is spelled
                // out (each attribute of a chain is visited).
                let mut root = expr;
                while let Expr::Attribute(attribute) = root {
                    root = &attribute.value;
                }
                let on_import = matches!(root, Expr::Name(name) if self.plain.iter().any(|(old, _)| {
                    old.split('.').next() == Some(name.id.as_str())
                }));
                if on_import
                    && let Some(dotted) = dotted_text(expr)
                    && let Some((_, new)) = self.plain.iter().find(|(old, _)| *old == dotted)
                {
                    self.edits
                        .push(Edit::replacement(new.clone(), expr.range()));
                    return;
                }
                visitor::walk_expr(self, expr);
            }
            Expr::StringLiteral(literal) => self.string(literal),
            _ => visitor::walk_expr(self, expr),
        }
    }
}

impl Uses<'_, '_, '_> {
    /// `crud.user` through `from app import crud`, where the layer no
    /// longer re-exports `user` → `users_crud.user`, importing the module.
    fn package_use(&mut self, attribute: &ast::ExprAttribute) -> bool {
        let Expr::Name(name) = &*attribute.value else {
            return false;
        };
        let Some(binding) = self
            .packages
            .iter()
            .find(|binding| binding.name == name.id.as_str())
        else {
            return false;
        };
        // A name the layer re-exported, or one of its modules that moved
        // (`models.user` → `users_models`).
        let submodule = format!("{}.{}", binding.layer, attribute.attr);
        let (module, original): (String, Option<&str>) = match self
            .plan
            .re_exported(&binding.layer, attribute.attr.as_str())
        {
            Some((module, original)) => (module.to_string(), Some(original)),
            None => match self.plan.new_name(&submodule) {
                Some(module) if self.plan.moves_module(&submodule) => (module, None),
                _ => return false,
            },
        };
        let reached = match original {
            Some(original) => format!("{module}.{original}"),
            None => module.clone(),
        };
        self.renamed.push((submodule, reached));
        self.package_uses.push(PackageUse {
            range: attribute.range(),
            module,
            name: original.map(str::to_string),
        });
        true
    }

    /// `"app.crud.user.get"` → `"app.users.crud.get"`; `"app.models.user:User"`
    /// too.
    fn string(&mut self, literal: &ast::ExprStringLiteral) {
        if literal.value.is_implicit_concatenated() {
            return;
        }
        let value = literal.value.to_str();
        let Some((head, tail)) = dotted_module_path(value) else {
            return;
        };
        let Some(new) = self.plan.new_name(head) else {
            return;
        };
        let text = self.context.source.slice(literal.range());
        // The literal must hold the value as written, quotes aside.
        let Some(offset) = text.find(value) else {
            return;
        };
        let quote = &text[..offset];
        if !quote.ends_with(['"', '\'']) || quote.contains('\\') {
            return;
        }
        let replacement = match tail {
            Some(tail) => format!("{new}:{tail}"),
            None => new.clone(),
        };
        let start = literal.start() + TextSize::try_from(offset).unwrap_or_default();
        let range = TextRange::at(start, TextSize::try_from(value.len()).unwrap_or_default());
        self.renamed.push((head.to_string(), new));
        self.edits.push(Edit::replacement(replacement, range));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_module_part_of_a_from_import() {
        let text = "from ..models.user import User\nfrom . import users\nfrom  app.x  import (a)\n";
        let parsed = ruff_python_parser::parse_module(text).unwrap();
        let regions: Vec<&str> = parsed
            .syntax()
            .body
            .iter()
            .map(|stmt| &text[module_region(text, stmt.range()).unwrap()])
            .collect();
        assert_eq!(regions, ["..models.user", ".", "app.x"]);
    }
}
