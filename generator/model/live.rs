//! Live subscriptions (`live = true` on a resource): the runtime's `live` module reads
//! a resource's events from the oplog, so a live resource needs the oplog to record
//! every write to it, and, for an `auth_field` resource, who wrote it (a removed
//! document can no longer say whose it was).

use toml::Spanned;

use super::{Api, Datasource, Resolver, Resource};
use crate::diagnostic::Diagnostic;

impl Resolver<'_> {
    /// Whether the resource is live, checked against what it is.
    pub(super) fn live(
        &self,
        spec: Option<&Spanned<bool>>,
        datasource: &Datasource,
        internal: bool,
    ) -> Result<bool, Diagnostic> {
        let Some(spanned) = spec.filter(|live| *live.get_ref()) else {
            return Ok(false);
        };
        if internal {
            return Err(self
                .error(
                    spanned,
                    "an internal resource has no routes to subscribe to",
                )
                .with_help("make the resource served, or remove `live`"));
        }
        if datasource.aggregation.is_some() {
            return Err(self
                .error(
                    spanned,
                    "an aggregation resource has no changes of its own to follow",
                )
                .with_help("put `live = true` on the resource the pipeline reads"));
        }
        Ok(true)
    }

    /// The API's oplog records what the live resources' events are made of.
    pub(super) fn check_live(&self, api: &Api, resources: &[Resource]) -> Result<(), Diagnostic> {
        for resource in resources.iter().filter(|r| r.live) {
            let Some(span) = self
                .spec
                .resources
                .iter()
                .find(|(name, _)| name.get_ref() == &resource.name)
                .and_then(|(_, spec)| spec.get_ref().live.as_ref())
            else {
                continue;
            };
            let Some(oplog) = &api.oplog else {
                return Err(self
                    .error(span, format!("`{}` is live, but the API keeps no oplog", resource.name))
                    .with_help("add `oplog = true` to `[api]`: live events are read from it, which is how a client that reconnects gets what it missed"));
            };
            let m = &oplog.methods;
            if !(m.post && m.patch && m.put && m.delete) {
                return Err(self
                    .error(span, format!("`{}` is live, but `oplog_methods` leaves some writes out of the oplog", resource.name))
                    .with_help("remove `oplog_methods` from `[api]` (every write is logged by default), or list \"POST\", \"PATCH\", \"PUT\" and \"DELETE\""));
            }
            if resource.auth_field.is_some() && !oplog.audit {
                return Err(self
                    .error(span, format!("`{}` is live and each of its documents is its owner's, but `oplog_audit = false` leaves the writer out of the oplog", resource.name))
                    .with_help("remove `oplog_audit = false`: a deletion's event goes only to the document's owner, whom the entry's `u` names"));
            }
        }
        Ok(())
    }
}
