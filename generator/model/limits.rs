//! Quotas and rate limits: Cloud Endpoints' `limit_definitions` (`[quotas.<metric>]`)
//! and `metric_costs`, Eve's per-method `rate_limit`. Each operation gets its costs and
//! its rate limit here, the most specific setting winning (an operation's or an
//! endpoint's, then its resource's, then the API's); the runtime's `limits` counts them.

use indexmap::IndexMap;
use toml::Spanned;

use super::{Action, Method, Operation};
use crate::diagnostic::Diagnostic;
use crate::spec::{MetricCostsSpec, RateLimitSpec};

/// One quota: a metric and how many units a consumer may spend per minute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quota {
    /// The metric's name (`read-requests`), which `metric_costs` name.
    pub name: String,
    /// What 429 answers and OpenAPI call it.
    pub display_name: String,
    pub per_minute: u32,
}

/// What one request of an operation costs, and the rate limit it counts against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metering {
    /// `(index into Api::quotas, units)`, in the quotas' order.
    pub costs: Vec<(usize, u32)>,
    pub rate_limit: Option<RateLimit>,
}

/// Eve's rate limit of one method: so many requests per window per client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimit {
    pub limit: u32,
    pub window_secs: u32,
    /// Whose counter it is: `""` for the API's (every resource's requests of the method
    /// together), else the resource's or the endpoint's name.
    pub scope: String,
}

/// The longest rate-limit window: a day. Longer ones would keep a client locked out
/// across restarts' worth of time, and are a typo more often than a wish.
const MAX_WINDOW_SECS: i64 = 86_400;

/// The methods a `rate_limit` table names (Eve's `RATE_LIMIT_GET`... lowercased).
const RATE_METHODS: [(&str, Method); 5] = [
    ("get", Method::Get),
    ("post", Method::Post),
    ("patch", Method::Patch),
    ("put", Method::Put),
    ("delete", Method::Delete),
];

/// A resource's own settings: its costs (`None`: the API's) and rate limits by method.
type ResourceLimits = (Option<Vec<(usize, u32)>>, Vec<(Method, RateLimit)>);

fn is_metric_name(name: &str) -> bool {
    name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

impl super::Resolver<'_> {
    /// `[quotas.<metric>]`, in the spec's order.
    pub(super) fn quotas(&self) -> Result<Vec<Quota>, Diagnostic> {
        let mut quotas = Vec::new();
        for (name, spec) in &self.spec.quotas {
            if !is_metric_name(name.get_ref()) {
                return Err(self
                    .error(name, format!("invalid quota name `{}`", name.get_ref()))
                    .with_help("a metric name is lowercase letters, digits, `-` and `_`, starting with a letter (`read-requests`)"));
            }
            let spec = spec.get_ref();
            let per_minute = *spec.per_minute.get_ref();
            if !(1..=i64::from(u32::MAX)).contains(&per_minute) {
                return Err(self
                    .error(
                        &spec.per_minute,
                        format!("`per_minute = {per_minute}` is not a limit"),
                    )
                    .with_help(format!(
                        "a quota allows from 1 to {} units per minute",
                        u32::MAX
                    )));
            }
            quotas.push(Quota {
                name: name.get_ref().clone(),
                display_name: spec
                    .display_name
                    .as_ref()
                    .map_or_else(|| name.get_ref().clone(), |d| d.get_ref().clone()),
                per_minute: per_minute as u32,
            });
        }
        Ok(quotas)
    }

    /// A `metric_costs` table, checked against the quotas: `(quota index, units)`.
    pub(super) fn costs(
        &self,
        spec: &MetricCostsSpec,
        quotas: &[Quota],
    ) -> Result<Vec<(usize, u32)>, Diagnostic> {
        let mut costs = Vec::new();
        for (metric, cost) in spec.get_ref() {
            let Some(index) = quotas.iter().position(|q| &q.name == metric.get_ref()) else {
                let help = if quotas.is_empty() {
                    format!(
                        "declare it: `[quotas.{}]` with `per_minute = ...`",
                        metric.get_ref()
                    )
                } else {
                    let names: Vec<&str> = quotas.iter().map(|q| q.name.as_str()).collect();
                    format!("the quotas are {}", names.join(", "))
                };
                return Err(self
                    .error(metric, format!("unknown quota `{}`", metric.get_ref()))
                    .with_help(help));
            };
            let units = *cost.get_ref();
            if !(0..=i64::from(u32::MAX)).contains(&units) {
                return Err(self
                    .error(cost, format!("a cost of {units} units"))
                    .with_help("a request costs from 0 to 4294967295 units of a quota"));
            }
            if units > i64::from(quotas[index].per_minute) {
                return Err(self
                    .error(
                        cost,
                        format!(
                            "a cost of {units} units, over the quota's {} per minute",
                            quotas[index].per_minute
                        ),
                    )
                    .with_help(
                        "every such request would be refused: lower the cost or raise `per_minute`",
                    ));
            }
            if units > 0 {
                costs.push((index, units as u32));
            }
        }
        costs.sort_unstable();
        Ok(costs)
    }

    /// A resource's or the API's `rate_limit` table, checked: method -> limit.
    pub(super) fn rate_limits(
        &self,
        spec: &RateLimitSpec,
        scope: &str,
    ) -> Result<Vec<(Method, RateLimit)>, Diagnostic> {
        let mut limits = Vec::new();
        for (method, pair) in spec.get_ref() {
            let Some((_, known)) = RATE_METHODS
                .iter()
                .find(|(word, _)| word.eq_ignore_ascii_case(method.get_ref()))
            else {
                let words: Vec<&str> = RATE_METHODS.iter().map(|(w, _)| *w).collect();
                return Err(self
                    .error(
                        method,
                        format!("unknown method `{}` in `rate_limit`", method.get_ref()),
                    )
                    .with_help(format!("limit one of {}", words.join(", "))));
            };
            limits.push((*known, self.rate_limit(pair, scope)?));
        }
        Ok(limits)
    }

    /// `[requests, seconds]`.
    pub(super) fn rate_limit(
        &self,
        pair: &Spanned<Vec<Spanned<i64>>>,
        scope: &str,
    ) -> Result<RateLimit, Diagnostic> {
        let [limit, window] = pair.get_ref().as_slice() else {
            return Err(self
                .error(pair, "a rate limit is `[requests, seconds]`")
                .with_help("e.g. `[300, 900]`: 300 requests every 15 minutes"));
        };
        let (limit, window) = (*limit.get_ref(), *window.get_ref());
        if !(1..=i64::from(u32::MAX)).contains(&limit) {
            return Err(self
                .error(pair, format!("a limit of {limit} requests"))
                .with_help("allow at least 1 request per window (or remove the limit)"));
        }
        if !(1..=MAX_WINDOW_SECS).contains(&window) {
            return Err(self
                .error(pair, format!("a window of {window} seconds"))
                .with_help(format!(
                    "a window is from 1 to {MAX_WINDOW_SECS} seconds (a day)"
                )));
        }
        Ok(RateLimit {
            limit: limit as u32,
            window_secs: window as u32,
            scope: scope.to_string(),
        })
    }

    /// Each operation's metering, and the API's quotas checked; the OpenAPI document
    /// is never metered (it describes the API to anyone who would call it).
    pub(super) fn apply_limits(
        &self,
        quotas: &[Quota],
        operations: &mut [Operation],
    ) -> Result<(), Diagnostic> {
        let api = self.spec.api.get_ref();
        let api_costs = match &api.metric_costs {
            Some(spec) => Some(self.costs(spec, quotas)?),
            None => None,
        };
        let api_rates = match &api.rate_limit {
            Some(spec) => self.rate_limits(spec, "")?,
            None => Vec::new(),
        };
        let mut resources: IndexMap<&str, ResourceLimits> = IndexMap::new();
        for (name, spec) in &self.spec.resources {
            let spec = spec.get_ref();
            let costs = match &spec.metric_costs {
                Some(costs) => Some(self.costs(costs, quotas)?),
                None => None,
            };
            let rates = match &spec.rate_limit {
                Some(rates) => self.rate_limits(rates, name.get_ref())?,
                None => Vec::new(),
            };
            resources.insert(name.get_ref().as_str(), (costs, rates));
        }
        for op in operations.iter_mut() {
            if op.action == Action::OpenApi {
                continue;
            }
            let mut costs = api_costs.clone();
            let mut rate = api_rates
                .iter()
                .find(|(m, _)| *m == op.method)
                .map(|(_, r)| r.clone());
            if let Some((resource_costs, resource_rates)) =
                op.resource.as_deref().and_then(|r| resources.get(r))
            {
                if let Some(own) = resource_costs {
                    costs = Some(own.clone());
                }
                if let Some((_, own)) = resource_rates.iter().find(|(m, _)| *m == op.method) {
                    rate = Some(own.clone());
                }
                let operation = self
                    .resource_spec(op.resource.as_deref())
                    .and_then(|r| r.operations.as_ref())
                    .and_then(|ops| ops.iter().find(|(k, _)| k.get_ref() == op.action.name()))
                    .and_then(|(_, o)| o.get_ref().metric_costs.as_ref());
                if let Some(own) = operation {
                    costs = Some(self.costs(own, quotas)?);
                }
            }
            if let Some(name) = &op.endpoint {
                let spec = self
                    .spec
                    .endpoints
                    .iter()
                    .find(|(k, _)| k.get_ref() == name)
                    .map(|(_, v)| v.get_ref());
                if let Some(spec) = spec {
                    if let Some(own) = &spec.metric_costs {
                        costs = Some(self.costs(own, quotas)?);
                    }
                    if let Some(own) = &spec.rate_limit {
                        rate = Some(self.rate_limit(own, &format!("endpoint:{name}"))?);
                    }
                }
            }
            let costs = costs.unwrap_or_default();
            if !costs.is_empty() || rate.is_some() {
                op.settings.metering = Some(Metering {
                    costs,
                    rate_limit: rate,
                });
            }
        }
        Ok(())
    }
}

/// The distinct windows, in seconds, the API's counters keep (quotas count per
/// minute), sorted.
pub fn windows(quotas: &[Quota], operations: &[Operation]) -> Vec<u32> {
    let mut windows: Vec<u32> = operations
        .iter()
        .filter_map(|o| o.settings.metering.as_ref())
        .filter_map(|m| m.rate_limit.as_ref().map(|r| r.window_secs))
        .collect();
    if !quotas.is_empty() {
        windows.push(60);
    }
    windows.sort_unstable();
    windows.dedup();
    windows
}

/// Whether some operation is metered: the crate gets `limits.rs` and the runtime's
/// `limits` feature.
pub fn uses_limits(operations: &[Operation]) -> bool {
    operations.iter().any(|o| o.settings.metering.is_some())
}

#[cfg(test)]
mod tests {
    use crate::model::tests::model;

    const API: &str = "[api]\nname = \"shop\"\nversion = \"1.0.0\"\nmetric_costs = { reads = 1 }\nrate_limit = { get = [300, 900], post = [10, 60] }\n[quotas.reads]\nper_minute = 100\n[quotas.writes]\nper_minute = 20\n";

    fn metering<'a>(m: &'a crate::model::Model, id: &str) -> Option<&'a super::Metering> {
        m.operations
            .iter()
            .find(|o| o.id == id)
            .expect("the operation")
            .settings
            .metering
            .as_ref()
    }

    #[test]
    fn the_most_specific_setting_wins() {
        let m = model(&format!(
            "{API}[resources.orders]\nresource_methods = [\"GET\", \"POST\"]\nitem_methods = [\"GET\", \"DELETE\"]\nmetric_costs = {{ reads = 2 }}\nrate_limit = {{ delete = [3, 2] }}\n[resources.orders.operations.post_collection]\nmetric_costs = {{ writes = 5, reads = 1 }}\n[resources.orders.schema]\nqty = {{ type = \"integer\" }}\n[resources.notes.schema]\ntext = {{ type = \"string\" }}\n[endpoints.free]\nmethod = \"GET\"\npath = \"free\"\nmetric_costs = {{}}\nrate_limit = [5, 1]\n"
        ))
        .expect("valid spec");
        let list = metering(&m, "orders.get_collection").expect("metered");
        assert_eq!(
            list.costs,
            [(0, 2)],
            "the resource's costs replace the API's"
        );
        let rate = list.rate_limit.as_ref().expect("the API's GET limit");
        assert_eq!(
            (rate.limit, rate.window_secs, rate.scope.as_str()),
            (300, 900, "")
        );
        let post = metering(&m, "orders.post_collection").expect("metered");
        assert_eq!(
            post.costs,
            [(0, 1), (1, 5)],
            "a method costs several quotas"
        );
        let delete = metering(&m, "orders.delete_item").expect("metered");
        let rate = delete.rate_limit.as_ref().expect("the resource's own");
        assert_eq!((rate.limit, rate.scope.as_str()), (3, "orders"));
        let notes = metering(&m, "notes.get_item").expect("metered");
        assert_eq!(notes.costs, [(0, 1)], "the API's costs");
        let free = metering(&m, "endpoints.free").expect("rate limited");
        assert!(free.costs.is_empty(), "an empty table costs nothing");
        assert_eq!(
            free.rate_limit.as_ref().map(|r| r.scope.as_str()),
            Some("endpoint:free")
        );
        assert!(metering(&m, "openapi").is_none(), "the document is free");
        assert_eq!(
            super::windows(&m.api.quotas, &m.operations),
            [1, 2, 60, 900]
        );
    }

    #[test]
    fn an_api_without_limits_meters_nothing() {
        let m = model("[api]\nname = \"shop\"\nversion = \"1.0.0\"\n[resources.orders.schema]\nqty = { type = \"integer\" }\n")
            .expect("valid spec");
        assert!(!super::uses_limits(&m.operations));
    }
}
