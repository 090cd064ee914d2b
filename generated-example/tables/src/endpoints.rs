//! Your custom endpoints: one method of `Endpoints` per `[endpoints.<name>]` of the
//! spec. apigen created this file once and never touches it again.
//!
//! atoti's table endpoints, over the `rows` resource: each row names its table, and
//! these count a table's rows, append rows to it (all or none) and delete it, through
//! the API's data handle, as the caller: what they write is validated as a POST, and
//! logged in the oplog with the caller's name.

use serde_json::{json, Map, Value};

use crate::api::endpoint::{Call, Find};
use crate::api::endpoints::*;
use crate::api::error::ApiError;
use crate::api::resources::rows::RowsDocument;

/// The service's custom endpoints: the router calls these methods.
pub struct Service;

impl Endpoints for Service {
    /// `GET tables/{table_name}/count`: the table's rows, created since `since` and
    /// in `region` when given.
    async fn table_count(
        &self,
        call: &Call,
        path: TableCountPath,
        query: TableCountQuery,
    ) -> Result<TableCountResponse, ApiError> {
        let mut filter = Map::new();
        filter.insert("table".into(), json!(path.table_name));
        if let Some(since) = query.since {
            let since = crate::api::DATE_FORMAT.format(since);
            filter.insert("_created".into(), json!({ "$gte": since }));
        }
        if let Some(region) = query.region {
            filter.insert("region".into(), json!(region));
        }
        let count = call
            .data()
            .count::<RowsDocument>(&Value::Object(filter))
            .await?;
        Ok(count as i64)
    }

    /// `POST tables/{table_name}/rows`: the rows, inserted together or not at all.
    async fn append_rows(
        &self,
        call: &Call,
        path: AppendRowsPath,
        body: AppendRowsBody,
    ) -> Result<AppendRowsResponse, ApiError> {
        let documents = body
            .into_iter()
            .map(|row| {
                let mut document = Map::new();
                document.insert("table".into(), json!(path.table_name));
                document.insert("year".into(), json!(row.year));
                if let Some(amount) = row.amount {
                    document.insert("amount".into(), json!(amount));
                }
                if let Some(region) = row.region {
                    document.insert("region".into(), json!(region));
                }
                document
            })
            .collect();
        let ids = call.data().insert::<RowsDocument>(documents).await?;
        Ok(AppendRowsResponse {
            table: path.table_name,
            inserted: ids.len() as i64,
            ids,
        })
    }

    /// `DELETE tables/{table_name}`: every row of the table, in one transaction.
    async fn drop_table(
        &self,
        call: &Call,
        path: DropTablePath,
    ) -> Result<DropTableResponse, ApiError> {
        let filter = json!({ "table": path.table_name });
        let deleted = call
            .data()
            .transaction(move |tx| {
                let rows = tx.find::<RowsDocument>(&filter, Find::default())?;
                for row in &rows {
                    tx.delete::<RowsDocument>(&row._id)?;
                }
                Ok(rows.len())
            })
            .await?;
        Ok(DropTableResponse {
            deleted: deleted as i64,
        })
    }
}
