//! The typed clients (`[clients]`) and their names (Cloud Endpoints' client-naming
//! settings in `[api]`: `canonical_name`, `owner_domain`, `owner_name`,
//! `package_path`).
//!
//! Cloud Endpoints builds a client's class from `canonical_name` ("DFA Analytics" →
//! `DfaAnalytics`) and its package from the reversed `owner_domain` and
//! `package_path`. Reversed domains are Java's convention, not Rust's, npm's or
//! Python's, so here `package_path` groups the packages (`cloud/platform` →
//! the crate `cloud-platform-dfa-analytics-client`, the Python package
//! `cloud.platform.dfa_analytics_client`), `owner_name` is the npm scope and the
//! author, and `owner_domain` the homepage.

use heck::{ToKebabCase, ToSnakeCase, ToUpperCamelCase};
use toml::Spanned;

use super::Resolver;
use crate::diagnostic::Diagnostic;

/// Which clients apigen writes, and what they are called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clients {
    /// In the order rust, typescript, python, whatever the spec's order.
    pub languages: Vec<Language>,
    pub naming: ClientNaming,
}

/// A language apigen writes a client in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Language {
    Rust,
    TypeScript,
    Python,
}

impl Language {
    pub const ALL: [Language; 3] = [Language::Rust, Language::TypeScript, Language::Python];

    /// The name the spec's `languages` uses, and the client's directory below
    /// `clients/`.
    pub fn name(self) -> &'static str {
        match self {
            Language::Rust => "rust",
            Language::TypeScript => "typescript",
            Language::Python => "python",
        }
    }

    /// The client's directory inside the service: `clients/rust`.
    pub fn dir(self) -> String {
        format!("clients/{}", self.name())
    }
}

/// Every name a client is published and imported under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientNaming {
    /// `canonical_name` as written, or the API's name: `DFA Analytics`.
    pub canonical_name: String,
    /// The client's type or class: `DfaAnalyticsClient`.
    pub type_name: String,
    /// The package, kebab-cased, `package_path` first: `cloud-platform-dfa-analytics-client`
    /// (the Rust crate, and the Python distribution).
    pub package: String,
    /// The Rust crate's library name: `cloud_platform_dfa_analytics_client`.
    pub rust_lib: String,
    /// The npm package: `@your-company/cloud-platform-dfa-analytics-client`, scoped
    /// by `owner_name` when there is one.
    pub npm_package: String,
    /// The Python import path: `cloud.platform.dfa_analytics_client`.
    pub python_package: String,
    /// The Python package's directory: `cloud/platform/dfa_analytics_client`.
    pub python_dir: String,
    /// `owner_name`, as written.
    pub owner_name: Option<String>,
    /// `owner_domain`, lowercase.
    pub owner_domain: Option<String>,
}

impl ClientNaming {
    /// `https://<owner_domain>`, the packages' homepage.
    pub fn homepage(&self) -> Option<String> {
        self.owner_domain
            .as_ref()
            .map(|domain| format!("https://{domain}"))
    }
}

impl Resolver<'_> {
    /// `[clients]` and the naming settings of `[api]`, checked.
    pub(super) fn clients(&self) -> Result<Clients, Diagnostic> {
        let languages = match self
            .spec
            .clients
            .as_ref()
            .and_then(|c| c.get_ref().languages.as_ref())
        {
            None => Language::ALL.to_vec(),
            Some(list) => self.languages(list.get_ref())?,
        };
        Ok(Clients {
            languages,
            naming: self.client_naming()?,
        })
    }

    fn languages(&self, list: &[Spanned<String>]) -> Result<Vec<Language>, Diagnostic> {
        let mut languages = Vec::new();
        for item in list {
            let Some(language) = Language::ALL
                .into_iter()
                .find(|l| l.name() == item.get_ref())
            else {
                return Err(self
                    .error(
                        item,
                        format!("unknown client language `{}`", item.get_ref()),
                    )
                    .with_help(
                        "apigen writes clients in \"rust\", \"typescript\" and \"python\"",
                    ));
            };
            if languages.contains(&language) {
                return Err(self
                    .error(item, format!("`{}` is listed twice", item.get_ref()))
                    .with_help("list each language once"));
            }
            languages.push(language);
        }
        languages.sort();
        Ok(languages)
    }

    fn client_naming(&self) -> Result<ClientNaming, Diagnostic> {
        let api = self.spec.api.get_ref();
        let canonical_name = match &api.canonical_name {
            None => api.name.get_ref().clone(),
            Some(name) => {
                let text = name.get_ref();
                let words = text.split([' ', '-', '_']).filter(|w| !w.is_empty());
                let valid = text.starts_with(|c: char| c.is_ascii_alphabetic())
                    && words.clone().count() > 0
                    && words
                        .clone()
                        .all(|w| w.chars().all(|c| c.is_ascii_alphanumeric()));
                if !valid {
                    return Err(self
                        .error(name, format!("invalid canonical name `{text}`"))
                        .with_help("a canonical name is words of ASCII letters and digits, separated by spaces, starting with a letter, like \"DFA Analytics\""));
                }
                text.clone()
            }
        };
        let groups: Vec<String> = match &api.package_path {
            None => Vec::new(),
            Some(path) => {
                let parts: Vec<&str> = path.get_ref().split('/').collect();
                let valid = parts.iter().all(|p| {
                    p.starts_with(|c: char| c.is_ascii_lowercase())
                        && p.chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                });
                if !valid {
                    return Err(self
                        .error(path, format!("invalid package path `{}`", path.get_ref()))
                        .with_help("a package path is `/`-separated lowercase names, each starting with a letter, like \"cloud/platform\""));
                }
                parts.into_iter().map(str::to_string).collect()
            }
        };
        let owner_domain = match &api.owner_domain {
            None => None,
            Some(domain) => {
                let text = domain.get_ref().to_ascii_lowercase();
                let labels: Vec<&str> = text.split('.').collect();
                let valid = labels.len() >= 2
                    && labels.iter().all(|l| {
                        !l.is_empty()
                            && !l.starts_with('-')
                            && !l.ends_with('-')
                            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    });
                if !valid {
                    return Err(self
                        .error(
                            domain,
                            format!("invalid owner domain `{}`", domain.get_ref()),
                        )
                        .with_help("write a domain name, like \"your-company.com\""));
                }
                Some(text)
            }
        };
        let owner_name = match &api.owner_name {
            None => None,
            Some(name) if name.get_ref().trim().is_empty() => {
                return Err(self.error(name, "the owner name is empty").with_help(
                    "name the API's owner, like \"Your-Company\", or remove `owner_name`",
                ));
            }
            Some(name) => {
                if name.get_ref().to_kebab_case().is_empty() {
                    return Err(self
                        .error(name, format!("`{}` has no letters or digits for the npm scope", name.get_ref()))
                        .with_help("the owner name scopes the npm package (`@your-company/...`): use ASCII letters or digits"));
                }
                Some(name.get_ref().trim().to_string())
            }
        };
        let stem = canonical_name.to_kebab_case();
        let mut kebab: Vec<String> = groups.iter().map(|g| g.to_kebab_case()).collect();
        kebab.push(format!("{stem}-client"));
        let package = kebab.join("-");
        let mut python: Vec<String> = groups.clone();
        python.push(format!("{}_client", canonical_name.to_snake_case()));
        Ok(ClientNaming {
            type_name: format!("{}Client", canonical_name.to_upper_camel_case()),
            rust_lib: package.replace('-', "_"),
            npm_package: match &owner_name {
                Some(owner) => format!("@{}/{package}", owner.to_kebab_case()),
                None => package.clone(),
            },
            python_package: python.join("."),
            python_dir: python.join("/"),
            package,
            canonical_name,
            owner_name,
            owner_domain,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::model;

    const BASE: &str = "[resources.things.schema]\nname = { type = \"string\" }\n";

    #[test]
    fn defaults_to_every_language_named_after_the_api() {
        let model = model(&format!(
            "[api]\nname = \"dfaanalytics\"\nversion = \"1.0.0\"\n{BASE}"
        ))
        .unwrap();
        assert_eq!(model.clients.languages, Language::ALL.to_vec());
        let naming = &model.clients.naming;
        assert_eq!(naming.type_name, "DfaanalyticsClient");
        assert_eq!(naming.package, "dfaanalytics-client");
        assert_eq!(naming.npm_package, "dfaanalytics-client");
        assert_eq!(naming.python_package, "dfaanalytics_client");
        assert_eq!(naming.homepage(), None);
    }

    #[test]
    fn cloud_endpoints_naming() {
        let model = model(&format!(
            "[api]\nname = \"dfaanalytics\"\nversion = \"1.0.0\"\ncanonical_name = \"DFA Analytics\"\n\
             owner_domain = \"Your-Company.com\"\nowner_name = \"Your-Company\"\npackage_path = \"cloud/platform\"\n\
             [clients]\nlanguages = [\"python\", \"rust\"]\n{BASE}"
        ))
        .unwrap();
        assert_eq!(
            model.clients.languages,
            vec![Language::Rust, Language::Python]
        );
        let naming = &model.clients.naming;
        assert_eq!(naming.canonical_name, "DFA Analytics");
        assert_eq!(naming.type_name, "DfaAnalyticsClient");
        assert_eq!(naming.package, "cloud-platform-dfa-analytics-client");
        assert_eq!(naming.rust_lib, "cloud_platform_dfa_analytics_client");
        assert_eq!(
            naming.npm_package,
            "@your-company/cloud-platform-dfa-analytics-client"
        );
        assert_eq!(naming.python_package, "cloud.platform.dfa_analytics_client");
        assert_eq!(naming.python_dir, "cloud/platform/dfa_analytics_client");
        assert_eq!(
            naming.homepage().as_deref(),
            Some("https://your-company.com")
        );
    }

    #[test]
    fn no_clients() {
        let model = model(&format!(
            "[api]\nname = \"x\"\nversion = \"1.0.0\"\n[clients]\nlanguages = []\n{BASE}"
        ))
        .unwrap();
        assert!(model.clients.languages.is_empty());
    }

    #[test]
    fn bad_settings_are_refused() {
        for (setting, message) in [
            (
                "[clients]\nlanguages = [\"java\"]",
                "unknown client language `java`",
            ),
            (
                "[clients]\nlanguages = [\"rust\", \"rust\"]",
                "`rust` is listed twice",
            ),
            ("canonical_name = \"9 lives\"", "invalid canonical name"),
            ("package_path = \"Cloud/\"", "invalid package path"),
            ("owner_domain = \"localhost\"", "invalid owner domain"),
            ("owner_name = \" \"", "the owner name is empty"),
        ] {
            let (api_extra, tail) = if setting.starts_with("[clients]") {
                ("", setting)
            } else {
                (setting, "")
            };
            let error = model(&format!(
                "[api]\nname = \"x\"\nversion = \"1.0.0\"\n{api_extra}\n{tail}\n{BASE}"
            ))
            .unwrap_err();
            assert!(error.to_string().contains(message), "{setting}: {error}");
        }
    }
}
