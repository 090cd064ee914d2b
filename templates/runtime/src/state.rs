//! What every handler is given: the database, the user's hooks and the settings.

use std::sync::Arc;

use crate::db::Db;
use crate::hooks::Hooks;

#[derive(Clone)]
pub struct AppState {
    pub db: Arc<Db>,
    pub hooks: Arc<dyn Hooks>,
    pub settings: Arc<Settings>,
    /// Authentication's state (`auth`), when the API has any rule.
    #[cfg(feature = "auth")]
    pub auth: Option<Arc<crate::auth::Auth>>,
    /// Quotas and rate limits (`limits`), when the API has any.
    #[cfg(feature = "limits")]
    pub limits: Option<Arc<crate::limits::Limits>>,
    /// Live subscriptions (`live`), when a resource has them.
    #[cfg(feature = "live")]
    pub live: Option<Arc<crate::live::Live>>,
}

/// Settings the handlers read on every request.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The API's path prefix (`/api/v1`), for `Location` headers.
    pub prefix: &'static str,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Most documents one bulk POST may hold.
    pub bulk_max_items: usize,
    /// How long a client has to send a whole request body.
    pub body_read_timeout: std::time::Duration,
}
