//! The catalogue: every transform, registered in one place.
//!
//! Each transform lives in its own file, whose leading `//!` comment is the
//! documentation `fastapi-codemod explain NAME` prints. Shared FastAPI
//! knowledge lives in the engine (`src/fastapi.rs`), not here.

use crate::project::transform::Transform;

pub mod annotated_params;
pub mod api_version_prefix;
pub mod async_without_await;
pub mod blocking_in_async;
pub mod cached_settings;
pub mod cors_credentials;
pub mod dependency_aliases;
pub mod dependency_overrides;
pub mod domain_exceptions;
pub mod domain_layout;
pub mod explicit_domain_imports;
pub mod hide_internal_errors;
pub mod pydantic_field_types;
pub mod resource_dependencies;
pub mod response_model;
pub mod service_layer;
pub mod settings_from_env;
pub mod split_schemas;

/// Every transform, in the order they run and are listed.
pub static ALL: &[&Transform] = &[
    &annotated_params::TRANSFORM,
    &dependency_aliases::TRANSFORM,
    &response_model::TRANSFORM,
    &split_schemas::TRANSFORM,
    &resource_dependencies::TRANSFORM,
    &service_layer::TRANSFORM,
    &domain_exceptions::TRANSFORM,
    &hide_internal_errors::TRANSFORM,
    &settings_from_env::TRANSFORM,
    &cached_settings::TRANSFORM,
    &cors_credentials::TRANSFORM,
    &pydantic_field_types::TRANSFORM,
    &explicit_domain_imports::TRANSFORM,
    &api_version_prefix::TRANSFORM,
    &domain_layout::TRANSFORM,
    &dependency_overrides::TRANSFORM,
    &async_without_await::TRANSFORM,
    &blocking_in_async::TRANSFORM,
];

/// The transform with the given name.
pub fn by_name(name: &str) -> Option<&'static Transform> {
    ALL.iter().copied().find(|transform| transform.name == name)
}
