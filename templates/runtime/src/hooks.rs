//! The event hooks the server calls around each write, as in Eve (`on_insert`,
//! `on_inserted`, `on_update`, ...). Implement them in `src/hooks.rs`, your own file:
//! every method has a default that does nothing, so a new hook never breaks your code.
//!
//! `resource` is the resource's name in the spec. "Before" hooks run inside the write
//! transaction and may return `Err` to abort the request with that error; "after"
//! hooks run once the write is committed.

use serde_json::{Map, Value};

use crate::error::ApiError;

/// A document as JSON fields (no `_id`/`_etag` meta fields).
pub type Document = Map<String, Value>;

pub trait Hooks: Send + Sync + 'static {
    /// Before documents are inserted (POST), after validation; they may be changed.
    fn on_insert(&self, resource: &str, documents: &mut [Document]) -> Result<(), ApiError> {
        let _ = (resource, documents);
        Ok(())
    }

    /// Inside the insert's transaction (rusqlite's `Transaction`), once the documents
    /// are written: write other resources in the same transaction, say an internal one
    /// with `crate::data::insert` (generated when the spec has an internal resource).
    /// `Err` rolls the whole request back.
    fn on_insert_tx(
        &self,
        resource: &str,
        documents: &[Document],
        tx: &crate::db::Writer<'_>,
    ) -> Result<(), ApiError> {
        let _ = (resource, documents, tx);
        Ok(())
    }

    /// After documents were inserted.
    fn on_inserted(&self, resource: &str, documents: &[Document]) {
        let _ = (resource, documents);
    }

    /// Before a PATCH is applied: the changes as sent and the stored document.
    fn on_update(
        &self,
        resource: &str,
        updates: &Document,
        original: &Document,
    ) -> Result<(), ApiError> {
        let _ = (resource, updates, original);
        Ok(())
    }

    /// After a PATCH was applied.
    fn on_updated(&self, resource: &str, updates: &Document, original: &Document) {
        let _ = (resource, updates, original);
    }

    /// Before a PUT replaces a document: the new document and the stored one.
    fn on_replace(
        &self,
        resource: &str,
        document: &Document,
        original: &Document,
    ) -> Result<(), ApiError> {
        let _ = (resource, document, original);
        Ok(())
    }

    /// After a PUT replaced a document.
    fn on_replaced(&self, resource: &str, document: &Document, original: &Document) {
        let _ = (resource, document, original);
    }

    /// Before one document is deleted.
    fn on_delete_item(&self, resource: &str, id: &str) -> Result<(), ApiError> {
        let _ = (resource, id);
        Ok(())
    }

    /// After one document was deleted.
    fn on_deleted_item(&self, resource: &str, id: &str) {
        let _ = (resource, id);
    }

    /// Before every document of a resource is deleted (DELETE on the collection).
    fn on_delete_resource(&self, resource: &str) -> Result<(), ApiError> {
        let _ = resource;
        Ok(())
    }

    /// After every document of a resource was deleted.
    fn on_deleted_resource(&self, resource: &str) {
        let _ = resource;
    }

    /// Before an import (`POST <collection>/import`, or the `import` command) writes
    /// its first row, inside its transaction (with `on_error=skip`, the first batch's):
    /// the dataset API's `preSql` steps. For `mode=replace` the collection is emptied
    /// after this hook. Each row then goes through `on_insert`/`on_insert_tx` (new
    /// documents) or `on_update` (upserts), as a POST or PATCH would.
    #[cfg(feature = "import")]
    fn before_import(
        &self,
        resource: &str,
        options: &crate::import::Options,
        tx: &crate::db::Writer<'_>,
    ) -> Result<(), ApiError> {
        let _ = (resource, options, tx);
        Ok(())
    }

    /// After an import wrote its last row, inside its transaction: the dataset API's
    /// `postSql` steps. `Err` rolls the import back; with `on_error=skip`, whose
    /// batches are committed as they come, this hook runs in a transaction of its own
    /// after them, and `Err` undoes only what the hook did.
    #[cfg(feature = "import")]
    fn after_import(
        &self,
        resource: &str,
        report: &crate::import::Report,
        tx: &crate::db::Writer<'_>,
    ) -> Result<(), ApiError> {
        let _ = (resource, report, tx);
        Ok(())
    }

    /// Once an import is committed. An import does not call `on_inserted` or
    /// `on_updated` per document: a million-row import would hold every document
    /// until its commit.
    #[cfg(feature = "import")]
    fn on_imported(&self, resource: &str, report: &crate::import::Report) {
        let _ = (resource, report);
    }
}
