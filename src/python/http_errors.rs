//! HTTP errors as FastAPI code raises and defines them.
//!
//! `raise HTTPException(status_code=404, detail="Post not found")` is read
//! into an [`ErrorShape`]: the status, the `detail` (a text, or an f-string
//! as a [`Template`] of text and fields), and literal `headers`. Two raises
//! with the same shape send the same response, whatever their spelling
//! (`status.HTTP_404_NOT_FOUND` or `404`, by keyword or by position,
//! `fastapi`'s `HTTPException` or `starlette`'s). A class written as
//! `class PostNotFound(HTTPException)` whose `__init__` only calls
//! `super().__init__(…)` with such arguments has a shape too, so that a
//! raise can be matched with the class that sends the same response.
//!
//! Also the Python text of such values: string literals and f-strings in a
//! file's quote, and a status as its `status.HTTP_…` constant.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, ConversionFlag, Expr, InterpolatedStringElement, Stmt};
use ruff_text_size::Ranged;

use crate::python::fastapi::{FastApiFacts, qualified_in};
use crate::text::source::Quote;

/// The qualified names of `HTTPException`: FastAPI's and Starlette's, which
/// FastAPI's handler answers alike.
pub const HTTP_EXCEPTIONS: &[&str] = &[
    "fastapi.HTTPException",
    "fastapi.exceptions.HTTPException",
    "starlette.exceptions.HTTPException",
];

/// The modules whose `HTTP_…` constants are status codes.
const STATUS_MODULES: &[&str] = &["fastapi.status", "starlette.status"];

/// What an HTTP error sends: equal shapes, equal responses.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ErrorShape {
    pub status: u16,
    pub detail: Detail,
    /// Literal headers, as `(name, value)` in order.
    pub headers: Option<Vec<(String, String)>>,
}

/// The `detail` of an HTTP error.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Detail {
    /// None given: the status phrase (`Not Found`).
    Default,
    /// A string.
    Text(String),
    /// An f-string: its text and fields, each field naming one of the
    /// values it is built from.
    Template(Template),
}

impl Detail {
    /// The words of the detail, without its fields.
    pub fn words(&self) -> Vec<String> {
        let text = match self {
            Detail::Default => return Vec::new(),
            Detail::Text(text) => text.clone(),
            Detail::Template(template) => template
                .parts
                .iter()
                .map(|part| match part {
                    Part::Text(text) => text.as_str(),
                    Part::Field { .. } => " ",
                })
                .collect(),
        };
        text.split(|character: char| !character.is_alphanumeric() && character != '\'')
            .map(|word| word.trim_matches('\'').to_string())
            .filter(|word| !word.is_empty())
            .collect()
    }

    /// How many values the detail is built from.
    pub fn arity(&self) -> usize {
        match self {
            Detail::Template(template) => template.arity(),
            _ => 0,
        }
    }
}

/// An f-string's parts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Template {
    pub parts: Vec<Part>,
}

impl Template {
    pub fn arity(&self) -> usize {
        self.parts
            .iter()
            .filter_map(|part| match part {
                Part::Field { value, .. } => Some(value + 1),
                Part::Text(_) => None,
            })
            .max()
            .unwrap_or(0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    Text(String),
    /// `{value!conversion:spec}`: `value` counts the distinct values of the
    /// f-string in order of first use.
    Field {
        value: usize,
        conversion: Option<char>,
        spec: String,
    },
}

/// An HTTP error raised: `raise HTTPException(…)`, or an `HTTPException`
/// subclass of the project called the same way.
#[derive(Debug)]
pub struct RaisedError<'a> {
    pub raise: &'a ast::StmtRaise,
    pub call: &'a ast::ExprCall,
    /// The qualified name of the class raised.
    pub class: String,
    /// What it sends, or why that cannot be told from the code.
    pub shape: Result<ErrorShape, &'static str>,
    /// The values an f-string detail is built from, in order.
    pub values: Vec<&'a Expr>,
}

impl RaisedError<'_> {
    /// Names for the values a class built from this error takes: a name as
    /// it is, `post.id` as `post_id`, anything else `value`, `value_2`, …
    pub fn value_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for value in &self.values {
            let mut name = crate::python::fastapi::dotted_text(value)
                .map(|dotted| dotted.replace('.', "_"))
                .filter(|name| name != "self")
                .unwrap_or_else(|| "value".to_string());
            if names.contains(&name) {
                let mut counter = 2;
                while names.contains(&format!("{name}_{counter}")) {
                    counter += 1;
                }
                name = format!("{name}_{counter}");
            }
            names.push(name);
        }
        names
    }
}

/// Every `raise` statement of a module, in source order (functions,
/// classes and nested blocks included).
pub fn raise_statements(body: &[Stmt]) -> Vec<&ast::StmtRaise> {
    #[derive(Default)]
    struct Raises<'a> {
        found: Vec<&'a ast::StmtRaise>,
    }
    impl<'a> Visitor<'a> for Raises<'a> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            if let Stmt::Raise(raise) = stmt {
                self.found.push(raise);
            }
            visitor::walk_stmt(self, stmt);
        }
        fn visit_expr(&mut self, _expr: &'a Expr) {}
    }
    let mut raises = Raises::default();
    raises.visit_body(body);
    raises.found
}

/// The HTTP error a `raise` raises, when it raises one by calling its class.
/// `is_error_class` tells whether a qualified name that is not
/// `HTTPException` is a subclass that takes the same arguments; without an
/// index, a class of the project called with `status_code=` counts.
pub fn raised_error<'a>(
    facts: &FastApiFacts,
    module: &str,
    is_package: bool,
    text: &str,
    raise: &'a ast::StmtRaise,
    is_error_class: &dyn Fn(&str) -> bool,
) -> Option<RaisedError<'a>> {
    let Some(Expr::Call(call)) = raise.exc.as_deref() else {
        return None;
    };
    let class = qualified_in(facts, module, is_package, &call.func)?;
    if !HTTP_EXCEPTIONS.contains(&class.as_str()) && !is_error_class(&class) {
        return None;
    }
    let mut values = Vec::new();
    let shape = error_shape(
        facts,
        module,
        is_package,
        &call.arguments,
        &mut Fields::Values {
            text,
            values: &mut values,
            keys: Vec::new(),
        },
    );
    Some(RaisedError {
        raise,
        call,
        class,
        shape,
        values,
    })
}

/// What an f-string's fields are numbered by.
enum Fields<'t, 'a> {
    /// Each distinct expression (by its text in `text`) is a value of its
    /// own, in order of first use, kept in `values`.
    Values {
        text: &'t str,
        values: &'t mut Vec<&'a Expr>,
        keys: Vec<&'t str>,
    },
    /// Each field names one of a class's `__init__` parameters: the value
    /// at its place.
    Parameters(&'t [&'t str]),
}

/// Reads `HTTPException`'s arguments (`status_code, detail=None,
/// headers=None`).
fn error_shape<'a>(
    facts: &FastApiFacts,
    module: &str,
    is_package: bool,
    arguments: &'a ast::Arguments,
    fields: &mut Fields<'_, 'a>,
) -> Result<ErrorShape, &'static str> {
    let mut status = None;
    let mut detail = None;
    let mut headers = None;
    if arguments.args.iter().any(Expr::is_starred_expr) {
        return Err("its arguments are unpacked with `*`");
    }
    for (position, argument) in arguments.args.iter().enumerate() {
        match position {
            0 => status = Some(argument),
            1 => detail = Some(argument),
            2 => headers = Some(argument),
            _ => return Err("it takes more arguments than `HTTPException`"),
        }
    }
    for keyword in &arguments.keywords {
        let slot = match keyword.arg.as_ref().map(ast::Identifier::as_str) {
            Some("status_code") => &mut status,
            Some("detail") => &mut detail,
            Some("headers") => &mut headers,
            Some(_) => return Err("it takes arguments `HTTPException` does not"),
            None => return Err("its arguments are unpacked with `**`"),
        };
        *slot = Some(&keyword.value);
    }
    let status = status.ok_or("it has no status code")?;
    let status = status_code(facts, module, is_package, status)
        .ok_or("its status is not a literal status code")?;
    let detail = match detail {
        None => Detail::Default,
        Some(Expr::NoneLiteral(_)) => Detail::Default,
        Some(Expr::StringLiteral(string)) => Detail::Text(string.value.to_str().to_string()),
        Some(Expr::FString(fstring)) => template(fstring, fields)?,
        Some(_) => return Err("its detail is not a literal or an f-string"),
    };
    let headers = match headers {
        None | Some(Expr::NoneLiteral(_)) => None,
        Some(Expr::Dict(dict)) => {
            let mut pairs = Vec::new();
            for item in dict.iter() {
                match (&item.key, &item.value) {
                    (Some(Expr::StringLiteral(name)), Expr::StringLiteral(value)) => pairs.push((
                        name.value.to_str().to_string(),
                        value.value.to_str().to_string(),
                    )),
                    _ => return Err("its headers are not literal strings"),
                }
            }
            Some(pairs)
        }
        Some(_) => return Err("its headers are not a literal dict"),
    };
    Ok(ErrorShape {
        status,
        detail,
        headers,
    })
}

/// The argument of a call given at `position` or as `keyword`.
pub fn argument<'a>(
    arguments: &'a ast::Arguments,
    position: usize,
    keyword: &str,
) -> Option<&'a Expr> {
    arguments
        .find_keyword(keyword)
        .map(|found| &found.value)
        .or_else(|| {
            arguments
                .args
                .get(position)
                .filter(|arg| !arg.is_starred_expr())
        })
}

/// A status code written as a number or as a `status.HTTP_…` constant.
pub fn status_code(
    facts: &FastApiFacts,
    module: &str,
    is_package: bool,
    expr: &Expr,
) -> Option<u16> {
    match expr {
        Expr::NumberLiteral(number) => {
            let code = number.value.as_int()?.as_u16()?;
            (100..600).contains(&code).then_some(code)
        }
        Expr::Name(_) | Expr::Attribute(_) => {
            let qualified = qualified_in(facts, module, is_package, expr)?;
            let (status_module, constant) = qualified.rsplit_once('.')?;
            if !STATUS_MODULES.contains(&status_module) {
                return None;
            }
            let digits = constant.strip_prefix("HTTP_")?.get(..3)?;
            digits.parse().ok()
        }
        _ => None,
    }
}

/// An f-string as a template, its fields numbered as `fields` says.
fn template<'a>(
    fstring: &'a ast::ExprFString,
    fields: &mut Fields<'_, 'a>,
) -> Result<Detail, &'static str> {
    let mut parts: Vec<Part> = Vec::new();
    let push_text = |parts: &mut Vec<Part>, text: &str| {
        if let Some(Part::Text(last)) = parts.last_mut() {
            last.push_str(text);
        } else if !text.is_empty() {
            parts.push(Part::Text(text.to_string()));
        }
    };
    for part in fstring.value.iter() {
        match part {
            ast::FStringPart::Literal(literal) => push_text(&mut parts, &literal.value),
            ast::FStringPart::FString(fstring) => {
                for element in fstring.elements.iter() {
                    match element {
                        InterpolatedStringElement::Literal(literal) => {
                            push_text(&mut parts, &literal.value)
                        }
                        InterpolatedStringElement::Interpolation(field) => {
                            if field.debug_text.is_some() {
                                return Err("its detail shows an expression's text (`{x=}`)");
                            }
                            let mut spec = String::new();
                            if let Some(format_spec) = &field.format_spec {
                                for element in format_spec.elements.iter() {
                                    match element {
                                        InterpolatedStringElement::Literal(literal) => {
                                            spec.push_str(&literal.value)
                                        }
                                        InterpolatedStringElement::Interpolation(_) => {
                                            return Err(
                                                "its detail's format depends on another value",
                                            );
                                        }
                                    }
                                }
                            }
                            let conversion = match field.conversion {
                                ConversionFlag::None => None,
                                ConversionFlag::Str => Some('s'),
                                ConversionFlag::Ascii => Some('a'),
                                ConversionFlag::Repr => Some('r'),
                            };
                            let value = match fields {
                                Fields::Values { text, values, keys } => {
                                    let key = &text[field.expression.range()];
                                    match keys.iter().position(|known| *known == key) {
                                        Some(position) => position,
                                        None => {
                                            keys.push(key);
                                            values.push(&field.expression);
                                            keys.len() - 1
                                        }
                                    }
                                }
                                Fields::Parameters(parameters) => {
                                    let Expr::Name(name) = field.expression.as_ref() else {
                                        return Err("its detail uses more than its parameters");
                                    };
                                    parameters
                                        .iter()
                                        .position(|parameter| *parameter == name.id.as_str())
                                        .ok_or("its detail uses more than its parameters")?
                                }
                            };
                            parts.push(Part::Field {
                                value,
                                conversion,
                                spec,
                            });
                        }
                    }
                }
            }
        }
    }
    // An f-string without fields is a plain text.
    match &parts[..] {
        [] => Ok(Detail::Text(String::new())),
        [Part::Text(text)] => Ok(Detail::Text(text.clone())),
        _ => Ok(Detail::Template(Template { parts })),
    }
}

/// A class written to send one HTTP error: what it sends, with the fields
/// of its detail numbered in order of first use as a raise's are, and its
/// `__init__` parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorClass {
    pub shape: ErrorShape,
    /// `__init__`'s parameters after the receiver, in order.
    pub parameters: Vec<String>,
    /// For each value of the shape, the parameter it is passed as.
    pub parameter_of_value: Vec<usize>,
}

/// The [`ErrorClass`] of a subclass of an HTTP exception whose `__init__`
/// (after a docstring) only calls `super().__init__(…)` with a literal
/// status, detail and headers, the detail's fields naming each of its
/// parameters.
pub fn class_error_shape(
    facts: &FastApiFacts,
    module: &str,
    is_package: bool,
    class: &ast::StmtClassDef,
) -> Option<ErrorClass> {
    let init = class.body.iter().find_map(|stmt| match stmt {
        Stmt::FunctionDef(function) if function.name.as_str() == "__init__" => Some(function),
        _ => None,
    })?;
    if !init.decorator_list.is_empty()
        || init.parameters.vararg.is_some()
        || init.parameters.kwarg.is_some()
        || !init.parameters.kwonlyargs.is_empty()
    {
        return None;
    }
    let mut parameters = init
        .parameters
        .posonlyargs
        .iter()
        .chain(&init.parameters.args);
    let receiver = parameters.next()?;
    let names: Vec<&str> = parameters
        .map(|parameter| (parameter.default.is_none()).then_some(parameter.parameter.name.as_str()))
        .collect::<Option<_>>()?;
    let mut body = init.body.as_slice();
    if let [Stmt::Expr(first), rest @ ..] = body {
        if first.value.is_string_literal_expr() {
            body = rest;
        }
    }
    let [Stmt::Expr(statement)] = body else {
        return None;
    };
    let Expr::Call(call) = statement.value.as_ref() else {
        return None;
    };
    let Expr::Attribute(method) = call.func.as_ref() else {
        return None;
    };
    if method.attr.as_str() != "__init__" {
        return None;
    }
    let mut arguments = call.arguments.clone();
    match method.value.as_ref() {
        // `super().__init__(…)`
        Expr::Call(parent)
            if parent.arguments.is_empty()
                && matches!(parent.func.as_ref(), Expr::Name(name) if name.id.as_str() == "super") =>
            {}
        // `HTTPException.__init__(self, …)`
        base @ (Expr::Name(_) | Expr::Attribute(_))
            if qualified_in(facts, module, is_package, base)
                .is_some_and(|base| HTTP_EXCEPTIONS.contains(&base.as_str())) =>
        {
            match arguments.args.first() {
                Some(Expr::Name(first)) if first.id == receiver.parameter.name.id => {
                    arguments.args = arguments.args[1..].to_vec().into_boxed_slice();
                }
                _ => return None,
            }
        }
        _ => return None,
    }
    let shape = error_shape(
        facts,
        module,
        is_package,
        &arguments,
        &mut Fields::Parameters(&names),
    )
    .ok()?;
    // Every parameter is used, so that a raise's values map onto them;
    // the fields are numbered again in order of first use.
    let mut shape = shape;
    let mut parameter_of_value: Vec<usize> = Vec::new();
    if let Detail::Template(template) = &mut shape.detail {
        for part in &mut template.parts {
            if let Part::Field { value, .. } = part {
                let position = match parameter_of_value.iter().position(|known| known == value) {
                    Some(position) => position,
                    None => {
                        parameter_of_value.push(*value);
                        parameter_of_value.len() - 1
                    }
                };
                *value = position;
            }
        }
    }
    if parameter_of_value.len() != names.len() {
        return None;
    }
    Some(ErrorClass {
        shape,
        parameters: names.iter().map(|name| name.to_string()).collect(),
        parameter_of_value,
    })
}

/// `status.HTTP_404_NOT_FOUND`'s constant for a status code, for the codes
/// whose constant has had the same name in every Starlette release.
pub fn status_constant(code: u16) -> Option<&'static str> {
    Some(match code {
        400 => "HTTP_400_BAD_REQUEST",
        401 => "HTTP_401_UNAUTHORIZED",
        402 => "HTTP_402_PAYMENT_REQUIRED",
        403 => "HTTP_403_FORBIDDEN",
        404 => "HTTP_404_NOT_FOUND",
        405 => "HTTP_405_METHOD_NOT_ALLOWED",
        406 => "HTTP_406_NOT_ACCEPTABLE",
        407 => "HTTP_407_PROXY_AUTHENTICATION_REQUIRED",
        408 => "HTTP_408_REQUEST_TIMEOUT",
        409 => "HTTP_409_CONFLICT",
        410 => "HTTP_410_GONE",
        411 => "HTTP_411_LENGTH_REQUIRED",
        412 => "HTTP_412_PRECONDITION_FAILED",
        415 => "HTTP_415_UNSUPPORTED_MEDIA_TYPE",
        417 => "HTTP_417_EXPECTATION_FAILED",
        418 => "HTTP_418_IM_A_TEAPOT",
        421 => "HTTP_421_MISDIRECTED_REQUEST",
        423 => "HTTP_423_LOCKED",
        424 => "HTTP_424_FAILED_DEPENDENCY",
        425 => "HTTP_425_TOO_EARLY",
        426 => "HTTP_426_UPGRADE_REQUIRED",
        428 => "HTTP_428_PRECONDITION_REQUIRED",
        429 => "HTTP_429_TOO_MANY_REQUESTS",
        431 => "HTTP_431_REQUEST_HEADER_FIELDS_TOO_LARGE",
        451 => "HTTP_451_UNAVAILABLE_FOR_LEGAL_REASONS",
        _ => return None,
    })
}

/// The reason phrase of a 4xx status, in words (`Bad Request`).
pub fn status_phrase(code: u16) -> Option<&'static str> {
    Some(match code {
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        417 => "Expectation Failed",
        418 => "I'm a Teapot",
        421 => "Misdirected Request",
        422 => "Unprocessable Content",
        423 => "Locked",
        424 => "Failed Dependency",
        425 => "Too Early",
        426 => "Upgrade Required",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        451 => "Unavailable For Legal Reasons",
        _ => return None,
    })
}

/// A Python string literal for `value`, in `quote`.
pub fn string_literal(value: &str, quote: Quote) -> String {
    let quote = quote.as_char();
    let mut text = String::with_capacity(value.len() + 2);
    text.push(quote);
    escape_into(&mut text, value, quote, false);
    text.push(quote);
    text
}

/// An f-string for `template`, each field written as the name at its
/// value's place in `names`.
pub fn fstring_literal(template: &Template, names: &[String], quote: Quote) -> String {
    let quote = quote.as_char();
    let mut text = String::from("f");
    text.push(quote);
    for part in &template.parts {
        match part {
            Part::Text(value) => escape_into(&mut text, value, quote, true),
            Part::Field {
                value,
                conversion,
                spec,
            } => {
                text.push('{');
                text.push_str(&names[*value]);
                if let Some(conversion) = conversion {
                    text.push('!');
                    text.push(*conversion);
                }
                if !spec.is_empty() {
                    text.push(':');
                    escape_into(&mut text, spec, quote, true);
                }
                text.push('}');
            }
        }
    }
    text.push(quote);
    text
}

fn escape_into(text: &mut String, value: &str, quote: char, braces: bool) {
    for character in value.chars() {
        match character {
            '\\' => text.push_str("\\\\"),
            '\n' => text.push_str("\\n"),
            '\r' => text.push_str("\\r"),
            '\t' => text.push_str("\\t"),
            '{' | '}' if braces => {
                text.push(character);
                text.push(character);
            }
            character if character == quote => {
                text.push('\\');
                text.push(character);
            }
            character if character.is_control() => {
                text.push_str(&format!("\\x{:02x}", u32::from(character)));
            }
            character => text.push(character),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruff_python_parser::parse_module;

    fn shapes(source: &str) -> Vec<Result<ErrorShape, &'static str>> {
        let parsed = parse_module(source).unwrap();
        let facts = FastApiFacts::new(parsed.syntax());
        raise_statements(&parsed.syntax().body)
            .into_iter()
            .filter_map(|raise| {
                raised_error(&facts, "app.routes", false, source, raise, &|_| false)
            })
            .map(|raised| raised.shape)
            .collect()
    }

    #[test]
    fn spellings_of_one_error_have_one_shape() {
        let found = shapes(
            "from fastapi import HTTPException, status\n\
             from starlette.exceptions import HTTPException as StarletteError\n\
             import starlette.status as codes\n\
             def f():\n    raise HTTPException(status_code=404, detail='Post not found')\n\
             def g():\n    raise HTTPException(status.HTTP_404_NOT_FOUND, \"Post not found\")\n\
             def h():\n    raise StarletteError(detail='Post ' 'not found', status_code=codes.HTTP_404_NOT_FOUND)\n",
        );
        assert_eq!(found.len(), 3);
        assert!(found.iter().all(|shape| shape == &found[0]));
        assert_eq!(
            found[0],
            Ok(ErrorShape {
                status: 404,
                detail: Detail::Text("Post not found".into()),
                headers: None
            })
        );
    }

    #[test]
    fn fstrings_number_their_values_and_refusals_say_why() {
        let found = shapes(
            "import fastapi\n\
             def f(post_id, detail):\n    \
             raise fastapi.HTTPException(404, f'Post {post_id!r:>4} of {post_id} {{x}}', {'X-A': 'b'})\n    \
             raise fastapi.HTTPException(404, detail)\n    \
             raise fastapi.HTTPException(code, 'x')\n    \
             raise fastapi.HTTPException(404, f'{post_id=}')\n    \
             raise ValueError('not an HTTP error')\n",
        );
        let Ok(ErrorShape {
            detail: Detail::Template(template),
            headers,
            ..
        }) = &found[0]
        else {
            panic!("{found:?}")
        };
        assert_eq!(template.arity(), 1);
        assert_eq!(
            fstring_literal(template, &["post_id".into()], Quote::Double),
            "f\"Post {post_id!r:>4} of {post_id} {{x}}\""
        );
        assert_eq!(headers, &Some(vec![("X-A".into(), "b".into())]));
        assert_eq!(found[1], Err("its detail is not a literal or an f-string"));
        assert_eq!(found[2], Err("its status is not a literal status code"));
        assert!(found[3].is_err());
        assert_eq!(found.len(), 4);
        // An f-string without fields is the text it holds.
        let plain =
            shapes("from fastapi import HTTPException\nraise HTTPException(400, f'Bad {{x}}')\n");
        assert_eq!(
            plain[0].as_ref().unwrap().detail,
            Detail::Text("Bad {x}".into())
        );
    }

    #[test]
    fn a_class_that_sends_one_error_has_its_shape() {
        let source = "from fastapi import HTTPException\n\
            class PostNotFound(HTTPException):\n    \
            def __init__(self, post_id):\n        \
            \"\"\"Doc.\"\"\"\n        \
            super().__init__(status_code=404, detail=f\"Post {post_id} not found\")\n\
            class Other(HTTPException):\n    \
            def __init__(self, post_id, extra):\n        \
            super().__init__(status_code=404, detail=f\"Post {post_id} not found\")\n";
        let parsed = parse_module(source).unwrap();
        let facts = FastApiFacts::new(parsed.syntax());
        let class = class_error_shape(&facts, "app.errors", false, facts.classes[0]).unwrap();
        assert_eq!(class.parameters, ["post_id"]);
        assert_eq!(class.shape.detail.arity(), 1);
        assert_eq!(class.shape.detail.words(), ["Post", "not", "found"]);
        // A parameter the detail does not use: not a class of one error.
        assert!(class_error_shape(&facts, "app.errors", false, facts.classes[1]).is_none());
    }

    #[test]
    fn literals_escape_what_they_must() {
        assert_eq!(
            string_literal("It's \"x\"\n", Quote::Single),
            "'It\\'s \"x\"\\n'"
        );
        assert_eq!(string_literal("a\\b", Quote::Double), "\"a\\\\b\"");
    }
}
