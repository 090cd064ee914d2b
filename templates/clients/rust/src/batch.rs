//! Many requests at once, each with its own result: a batch run concurrently
//! (flowthings' `async` with `with_exceptions`), and a lazy stream of requests run at
//! most `n` at a time (flowthings' `lazy`).

use std::future::Future;

use futures_util::future::join_all;
use futures_util::stream::{self, Stream, StreamExt};

use super::error::Result;

/// Runs every request concurrently; one result per request, in order. A failing
/// request does not stop the others.
pub async fn all<T, F>(requests: impl IntoIterator<Item = F>) -> Vec<Result<T>>
where
    F: Future<Output = Result<T>>,
{
    join_all(requests).await
}

/// Runs the requests as they are pulled, at most `concurrency` at a time, results in
/// the order they finish. Nothing is sent until the stream is polled.
pub fn lazy<T, F>(
    requests: impl IntoIterator<Item = F>,
    concurrency: usize,
) -> impl Stream<Item = Result<T>>
where
    F: Future<Output = Result<T>>,
{
    stream::iter(requests).buffer_unordered(concurrency.max(1))
}

/// As [`lazy`], results in the requests' order.
pub fn lazy_ordered<T, F>(
    requests: impl IntoIterator<Item = F>,
    concurrency: usize,
) -> impl Stream<Item = Result<T>>
where
    F: Future<Output = Result<T>>,
{
    stream::iter(requests).buffered(concurrency.max(1))
}

#[cfg(test)]
mod tests {
    use super::super::error::Error;
    use super::*;

    #[tokio::test]
    async fn each_request_has_its_result() {
        let results = all((0..3).map(|n| async move {
            if n == 1 {
                Err(Error::Invalid("one".into()))
            } else {
                Ok(n)
            }
        }))
        .await;
        assert!(results[0].is_ok() && results[1].is_err() && results[2].is_ok());
        let mut done: Vec<i32> = lazy((0..10).map(|n| async move { Ok(n) }), 3)
            .map(|r| r.unwrap())
            .collect()
            .await;
        done.sort();
        assert_eq!(done, (0..10).collect::<Vec<_>>());
    }
}
