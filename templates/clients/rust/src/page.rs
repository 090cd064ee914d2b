//! A page of a collection (`_items`, `_meta`, `_links`), and the stream over every
//! page that follows `_links.next`.

use std::future::Future;
use std::pin::Pin;

use futures_util::StreamExt;
use futures_util::stream::{self, BoxStream};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::error::Result;

/// `_meta` of a page.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Meta {
    #[serde(default)]
    pub page: Option<u64>,
    #[serde(default)]
    pub max_results: Option<u64>,
    #[serde(default)]
    pub total: Option<u64>,
}

/// A link of `_links`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Link {
    pub href: String,
    #[serde(default)]
    pub title: Option<String>,
}

/// `_links` of a page.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Links {
    #[serde(default)]
    pub next: Option<Link>,
    #[serde(default)]
    pub prev: Option<Link>,
    #[serde(default)]
    pub last: Option<Link>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// One page of documents.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(bound = "T: DeserializeOwned")]
pub struct Page<T> {
    #[serde(rename = "_items")]
    pub items: Vec<T>,
    #[serde(rename = "_meta", default)]
    pub meta: Meta,
    #[serde(rename = "_links", default)]
    pub links: Links,
}

impl<T> Page<T> {
    /// Whether `_links.next` names a next page.
    pub fn has_next(&self) -> bool {
        self.links.next.is_some()
    }

    /// The next page's number, from `_links.next` (`...?page=3`).
    pub fn next_page(&self) -> Option<u32> {
        let href = &self.links.next.as_ref()?.href;
        let query = href.split_once('?')?.1;
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix("page="))
            .and_then(|n| n.parse().ok())
    }
}

/// A page fetcher: given the page number (1 first), the page.
pub type FetchPage<T> =
    Box<dyn Fn(u32) -> Pin<Box<dyn Future<Output = Result<Page<T>>> + Send>> + Send + Sync>;

/// Every page, one after the other, following `_links.next` until there is none;
/// the first error ends the stream.
pub fn pages<T: Send + 'static>(fetch: FetchPage<T>) -> BoxStream<'static, Result<Page<T>>> {
    stream::unfold((fetch, Some(1u32)), |(fetch, next)| async move {
        let number = next?;
        match fetch(number).await {
            Ok(page) => {
                let following = page.next_page().filter(|n| *n > number);
                Some((Ok(page), (fetch, following)))
            }
            Err(error) => Some((Err(error), (fetch, None))),
        }
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    #[tokio::test]
    async fn the_stream_follows_next_links_to_the_last_page() {
        let fetch: FetchPage<u32> = Box::new(|n| {
            Box::pin(async move {
                let next = (n < 3).then(|| Link {
                    href: format!("books?max_results=2&page={}", n + 1),
                    title: None,
                });
                Ok(Page {
                    items: vec![n],
                    meta: Meta::default(),
                    links: Links {
                        next,
                        ..Links::default()
                    },
                })
            })
        });
        let all: Vec<u32> = pages(fetch).map(|p| p.unwrap().items[0]).collect().await;
        assert_eq!(all, [1, 2, 3]);
    }
}
