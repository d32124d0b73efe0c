//! Layer 1, text and edits: a file's text and its style, edits grouped
//! into all-or-nothing fixes, and applying them. Knows nothing of Python.

pub mod edit;
pub mod files;
pub mod fix_loop;
pub mod source;
