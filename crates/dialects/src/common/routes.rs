//! Each route is declared once, with [`routes!`]: the declaration registers it with actix and lists it in the
//! module's `ROUTES`, the table of what is served that the API documents ([`crate::apidoc`]) are checked
//! against. A dialect assembles its modules with [`dialect_modules!`].

/// A route as a module declares it: method (lower case) and path template below the dialect's mount point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// `get`, `post`, `put`, `patch` or `delete`.
    pub method: &'static str,
    /// Path template, `{name}` for a segment.
    pub path: &'static str,
}

/// A route as clients reach it: upper-case method and the full path template.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServedRoute {
    /// `GET`, `POST`, …
    pub method: String,
    /// Full path template, `{name}` for a segment.
    pub path: String,
}

impl Route {
    /// The route as served below `base`.
    pub fn under(&self, base: &str) -> ServedRoute {
        ServedRoute { method: self.method.to_ascii_uppercase(), path: format!("{base}{}", self.path) }
    }
}

/// Declares a module's routes: `get "/path" => handler, …`. Generates `register_routes(cfg)` and `ROUTES`.
macro_rules! routes {
    ($($method:ident $path:literal => $handler:expr),* $(,)?) => {
        /// Registers the routes of this module.
        pub(crate) fn register_routes(cfg: &mut actix_web::web::ServiceConfig) {
            $( cfg.route($path, actix_web::web::$method().to($handler)); )*
        }

        /// The routes [`register_routes`] registers.
        pub(crate) const ROUTES: &[$crate::common::routes::Route] =
            &[$( $crate::common::routes::Route { method: stringify!($method), path: $path } ),*];
    };
}
pub(crate) use routes;

/// Assembles a dialect from its modules, each declaring [`routes!`] and an `ApiPaths` document
/// (`#[derive(utoipa::OpenApi)]` listing its handlers). Generates `register_routes(cfg)` (every module's routes),
/// `served_routes()` (full paths below `$base`) and `api_paths()` (the modules' documents merged).
macro_rules! dialect_modules {
    (base = $base:expr; $($module:ident),+ $(,)?) => {
        /// Registers the routes of every module of the dialect.
        pub(crate) fn register_routes(cfg: &mut actix_web::web::ServiceConfig) {
            $( cfg.configure($module::register_routes); )+
        }

        /// Every route the dialect serves, with its full path.
        pub fn served_routes() -> Vec<$crate::common::routes::ServedRoute> {
            let mut all = Vec::new();
            $( all.extend($module::ROUTES.iter().map(|r| r.under($base))); )+
            all
        }

        /// The documented operations of every module of the dialect.
        pub(crate) fn api_paths() -> utoipa::openapi::OpenApi {
            let mut doc = utoipa::openapi::OpenApi::default();
            $(
                doc.merge($crate::common::routes::with_module_operation_ids(
                    <$module::ApiPaths as utoipa::OpenApi>::openapi(),
                    stringify!($module),
                ));
            )+
            doc
        }
    };
}
pub(crate) use dialect_modules;

/// `module`'s document with each operation id (the handler's name by default, such as `list`, which several
/// modules share) made unique in the dialect: `access_keys.list`.
pub fn with_module_operation_ids(mut doc: utoipa::openapi::OpenApi, module: &str) -> utoipa::openapi::OpenApi {
    for item in doc.paths.paths.values_mut() {
        let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for operation in operations.into_iter().flatten() {
            if let Some(id) = &operation.operation_id {
                operation.operation_id = Some(format!("{module}.{id}"));
            }
        }
    }
    doc
}
