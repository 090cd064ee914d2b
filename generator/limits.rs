//! `src/api/metering.rs` of a crate whose spec meters requests: the quotas, and one
//! `limits::Metering` per metered operation (its quota costs and its rate limit,
//! `model::limits`), which the router puts in front of that operation's handler.

use crate::model::auth::AuthRule;
use crate::model::limits::{Metering, uses_limits, windows};
use crate::model::{Model, Operation};
use crate::render::{self, RenderError};
use crate::rust::str_lit;

/// Whether the crate has `metering.rs` (and the runtime's `limits` feature).
pub fn uses_metering(model: &Model) -> bool {
    uses_limits(&model.operations)
}

/// The metering static in front of `op` in the router, when it is metered.
pub fn metering_path(model: &Model, op: &Operation) -> Option<String> {
    let op = crate::access::route_owner(model, op);
    op.settings
        .metering
        .as_ref()
        .map(|_| format!("super::metering::{}", AuthRule::policy_name(op)))
}

/// "read-requests 1, write-requests 5; 300 per 900 s (the API's)".
fn summary(model: &Model, metering: &Metering) -> String {
    let mut parts = Vec::new();
    if !metering.costs.is_empty() {
        let costs: Vec<String> = metering
            .costs
            .iter()
            .map(|(i, units)| format!("{} {units}", model.api.quotas[*i].name))
            .collect();
        parts.push(format!("costs {}", costs.join(", ")));
    }
    if let Some(rate) = &metering.rate_limit {
        let whose = match rate.scope.as_str() {
            "" => "the API's counter".to_string(),
            scope => match scope.strip_prefix("endpoint:") {
                Some(name) => format!("endpoint `{name}`'s counter"),
                None => format!("resource `{scope}`'s counter"),
            },
        };
        parts.push(format!(
            "at most {} per {} s per client ({whose})",
            rate.limit, rate.window_secs
        ));
    }
    parts.join("; ")
}

/// The file's text.
pub fn limits_rs(model: &Model) -> Result<String, RenderError> {
    let mut out = String::new();
    out.push_str(
        "//! What each request may cost: the API's quotas (`[quotas.<metric>]`, per minute\n\
         //! per consumer) and one metering per metered operation: its `metric_costs` and\n\
         //! its `rate_limit`, the most specific winning. The router puts `limits::meter`\n\
         //! with the metering in front of the operation's handler, after its auth guard.\n\n",
    );
    // Only what the file names: an unused import would warn in the user's build.
    let mut imports = vec!["Metering", "Settings"];
    if !model.api.quotas.is_empty() {
        imports.push("Quota");
    }
    let rated = model
        .operations
        .iter()
        .filter_map(|o| o.settings.metering.as_ref())
        .any(|m| m.rate_limit.is_some());
    if rated {
        imports.push("RateLimit");
    }
    imports.sort_unstable();
    out.push_str(&format!(
        "use apigen_runtime::limits::{{{}}};\n\n",
        imports.join(", ")
    ));
    let quotas: Vec<String> = model
        .api
        .quotas
        .iter()
        .map(|q| {
            format!(
                "Quota {{ name: {}, display_name: {}, per_minute: {} }}",
                str_lit(&q.name),
                str_lit(&q.display_name),
                q.per_minute
            )
        })
        .collect();
    let windows: Vec<String> = windows(&model.api.quotas, &model.operations)
        .iter()
        .map(u32::to_string)
        .collect();
    out.push_str(&format!(
        "/// The quotas, and the windows (in seconds) the counters keep.\n\
         pub static SETTINGS: Settings = Settings {{ quotas: &[{}], windows: &[{}] }};\n",
        quotas.join(", "),
        windows.join(", "),
    ));
    for op in &model.operations {
        let Some(metering) = &op.settings.metering else {
            continue;
        };
        let costs: Vec<String> = metering
            .costs
            .iter()
            .map(|(i, units)| format!("({i}, {units})"))
            .collect();
        let rate = match &metering.rate_limit {
            Some(rate) => format!(
                "Some(RateLimit {{ limit: {}, window_secs: {}, scope: {} }})",
                rate.limit,
                rate.window_secs,
                str_lit(&rate.scope)
            ),
            None => "None".to_string(),
        };
        out.push_str(&format!(
            "\n/// `{} {}` ({}): {}.\n\
             pub static {}: Metering = Metering {{ costs: &[{}], rate: {rate}, method: {} }};\n",
            op.method.as_str(),
            if op.template().is_empty() {
                "/".to_string()
            } else {
                op.template()
            },
            op.id,
            summary(model, metering),
            AuthRule::policy_name(op),
            costs.join(", "),
            str_lit(op.method.as_str()),
        ));
    }
    render::formatted(&out, "src/api/metering.rs")
}
