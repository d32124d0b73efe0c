//! How control flows through a function's own body: what its `return`
//! statements return, and whether it always exits.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt, StmtFunctionDef};
use ruff_text_size::{Ranged, TextRange};

/// The `return` statements of a body, outside nested functions, lambdas
/// and classes, in source order.
pub fn return_statements(body: &[Stmt]) -> Vec<&ast::StmtReturn> {
    let mut finder = ReturnFinder::default();
    finder.visit_body(body);
    finder.returns
}

/// The ranges of the values the function's own `return` statements return
/// (`return User(...)` gives the call's range; `return await f(...)` the
/// awaited call's as well).
pub fn returned_values(function: &StmtFunctionDef) -> Vec<TextRange> {
    let mut ranges = Vec::new();
    for value in return_statements(&function.body)
        .iter()
        .filter_map(|stmt| stmt.value.as_deref())
    {
        ranges.push(value.range());
        // `return await service.get(...)`: the call too.
        if let Expr::Await(awaited) = value {
            ranges.push(awaited.value.range());
        }
    }
    ranges
}

/// Whether running `body` always ends in `return`, `raise` or an endless
/// loop, so that control never falls off its end.
pub fn always_exits(body: &[Stmt]) -> bool {
    let Some(last) = body.last() else {
        return false;
    };
    match last {
        Stmt::Return(_) | Stmt::Raise(_) => true,
        Stmt::If(branch) => {
            always_exits(&branch.body)
                && branch
                    .elif_else_clauses
                    .last()
                    .is_some_and(|clause| clause.test.is_none())
                && branch
                    .elif_else_clauses
                    .iter()
                    .all(|clause| always_exits(&clause.body))
        }
        Stmt::While(loop_stmt) => {
            matches!(loop_stmt.test.as_ref(), Expr::BooleanLiteral(value) if value.value)
                && !contains_break(&loop_stmt.body)
        }
        Stmt::With(with) => always_exits(&with.body),
        Stmt::Try(block) => {
            (always_exits(&block.finalbody))
                || ((always_exits(&block.body) || always_exits(&block.orelse))
                    && block.handlers.iter().all(|handler| {
                        let ast::ExceptHandler::ExceptHandler(handler) = handler;
                        always_exits(&handler.body)
                    }))
        }
        Stmt::Match(match_stmt) => {
            match_stmt.cases.iter().all(|case| always_exits(&case.body))
                && match_stmt
                    .cases
                    .iter()
                    .any(|case| case.pattern.is_irrefutable() && case.guard.is_none())
        }
        _ => false,
    }
}

fn contains_break(body: &[Stmt]) -> bool {
    struct Breaks(bool);
    impl<'a> Visitor<'a> for Breaks {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            match stmt {
                Stmt::Break(_) => self.0 = true,
                // A break in a nested loop ends that loop, not this one.
                Stmt::For(_) | Stmt::While(_) | Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
                _ => visitor::walk_stmt(self, stmt),
            }
        }
    }
    let mut breaks = Breaks(false);
    breaks.visit_body(body);
    breaks.0
}
/// Collects `return` statements outside nested scopes.
#[derive(Default)]
struct ReturnFinder<'a> {
    returns: Vec<&'a ast::StmtReturn>,
}

impl<'a> Visitor<'a> for ReturnFinder<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            Stmt::Return(ret) => self.returns.push(ret),
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, _expr: &'a Expr) {}
}
