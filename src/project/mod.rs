//! Layer 3, the project: the index of every module, the plans transforms
//! make from it, what a transform is and sees, one file's run through the
//! fixes, and the whole project's run. Built on [`crate::python`] and
//! [`crate::text`]; the only layer that sees across files.

pub mod app_settings;
pub mod dependencies;
pub mod index;
pub mod layout;
pub mod live;
pub mod models;
pub mod partition;
pub mod pipeline;
pub mod plan;
pub mod references;
pub mod returns;
pub mod route_code;
pub mod run;
pub mod settings;
pub mod settings_writer;
pub mod transform;

use index::ProjectIndex;
use plan::{Plan, PlannedStep};

/// What one run knows about the whole project: the index, and the plans
/// of the transforms that make one.
#[derive(Debug, Default)]
pub struct Project {
    pub index: ProjectIndex,
    pub plans: Vec<PlannedStep>,
    /// Transforms whose required package version the project's declared
    /// dependencies rule out, and why: their findings keep no fix.
    pub held_back: Vec<(&'static str, String)>,
}

impl Project {
    /// The plan of type `P`, if the transform that makes it runs.
    pub fn plan<P: Plan>(&self) -> Option<&P> {
        self.plans.iter().find_map(PlannedStep::downcast::<P>)
    }
}
