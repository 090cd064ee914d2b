//! GeoJSON geometries (Eve's `point`, `linestring`, `polygon`, `multipoint`,
//! `multilinestring`, `multipolygon` and `geometrycollection` types) and the distance
//! behind `$near`. Generated only into crates whose spec has a geometry field.
//!
//! A geometry is checked the way Eve checks it: an object with exactly `type` and
//! `coordinates` (or `geometries` for a collection), the right `type`, and positions
//! nested to the type's depth. A position is a list of numbers: longitude, latitude
//! and an optional altitude. The value is stored and served exactly as sent.

use serde_json::Value;

/// Mean Earth radius used for distances, in metres (MongoDB's spherical model).
pub const EARTH_RADIUS_M: f64 = 6_378_100.0;

/// `[lon, lat]` or `[lon, lat, alt]`, all numbers.
fn position(value: &Value) -> bool {
    matches!(value, Value::Array(items)
        if (2..=3).contains(&items.len()) && items.iter().all(Value::is_number))
}

/// A list of things, each satisfying `each`.
fn all(value: &Value, each: fn(&Value) -> bool) -> bool {
    matches!(value, Value::Array(items) if items.iter().all(each))
}

fn positions(value: &Value) -> bool {
    all(value, position)
}

fn rings(value: &Value) -> bool {
    all(value, positions)
}

fn polygons(value: &Value) -> bool {
    all(value, rings)
}

/// An object of exactly `type` = `name` and `coordinates` satisfying `coordinates`.
fn geometry(value: &Value, name: &str, coordinates: fn(&Value) -> bool) -> bool {
    match value {
        Value::Object(map) => {
            map.len() == 2
                && map.get("type").and_then(Value::as_str) == Some(name)
                && map.get("coordinates").is_some_and(coordinates)
        }
        _ => false,
    }
}

pub fn is_point(value: &Value) -> bool {
    geometry(value, "Point", position)
}

pub fn is_linestring(value: &Value) -> bool {
    geometry(value, "LineString", positions)
}

pub fn is_polygon(value: &Value) -> bool {
    geometry(value, "Polygon", rings)
}

pub fn is_multipoint(value: &Value) -> bool {
    geometry(value, "MultiPoint", positions)
}

pub fn is_multilinestring(value: &Value) -> bool {
    geometry(value, "MultiLineString", rings)
}

pub fn is_multipolygon(value: &Value) -> bool {
    geometry(value, "MultiPolygon", polygons)
}

/// `{"type": "GeometryCollection", "geometries": [...]}`, each member a geometry of
/// any type (collections included).
pub fn is_geometrycollection(value: &Value) -> bool {
    let Value::Object(map) = value else {
        return false;
    };
    map.len() == 2
        && map.get("type").and_then(Value::as_str) == Some("GeometryCollection")
        && map
            .get("geometries")
            .is_some_and(|members| all(members, is_geometry))
}

/// The check of a geometry of `kind` (`None` for kinds that are not geometries):
/// what a catalog's `shape` holds, and what apigen checks a spec's GeoJSON defaults
/// with.
pub fn shape(kind: crate::catalog::Kind) -> Option<fn(&Value) -> bool> {
    use crate::catalog::Kind;
    Some(match kind {
        Kind::Point => is_point,
        Kind::LineString => is_linestring,
        Kind::Polygon => is_polygon,
        Kind::MultiPoint => is_multipoint,
        Kind::MultiLineString => is_multilinestring,
        Kind::MultiPolygon => is_multipolygon,
        Kind::GeometryCollection => is_geometrycollection,
        _ => return None,
    })
}

/// Any geometry, whatever its type.
pub fn is_geometry(value: &Value) -> bool {
    is_point(value)
        || is_linestring(value)
        || is_polygon(value)
        || is_multipoint(value)
        || is_multilinestring(value)
        || is_multipolygon(value)
        || is_geometrycollection(value)
}

/// Great-circle distance in metres between two (longitude, latitude) points in degrees.
pub fn haversine(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (phi1, phi2) = (lat1.to_radians(), lat2.to_radians());
    let d_phi = (lat2 - lat1).to_radians();
    let d_lambda = (lon2 - lon1).to_radians();
    let a = (d_phi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (d_lambda / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
}

/// The (longitude, latitude) of a stored point, if the text is one.
pub(crate) fn stored_point(text: &str) -> Option<(f64, f64)> {
    let value: Value = serde_json::from_str(text).ok()?;
    let coordinates = value.get("coordinates")?.as_array()?;
    Some((
        coordinates.first()?.as_f64()?,
        coordinates.get(1)?.as_f64()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn checks_shapes_like_eve() {
        assert!(is_point(
            &json!({"type": "Point", "coordinates": [12.5, 41.9]})
        ));
        assert!(!is_point(&json!({"type": "Point", "coordinates": [12.5]})));
        assert!(!is_point(
            &json!({"type": "Point", "coordinates": ["a", 1]})
        ));
        assert!(!is_point(
            &json!({"type": "LineString", "coordinates": [1, 2]})
        ));
        assert!(!is_point(
            &json!({"type": "Point", "coordinates": [1, 2], "x": 1})
        ));
        assert!(is_polygon(
            &json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]})
        ));
        assert!(is_geometrycollection(
            &json!({"type": "GeometryCollection", "geometries": [
                {"type": "Point", "coordinates": [1, 2]},
                {"type": "LineString", "coordinates": [[1, 2], [3, 4]]}
            ]})
        ));
        assert!(!is_geometrycollection(
            &json!({"type": "GeometryCollection", "geometries": [1]})
        ));
    }

    #[test]
    fn haversine_distances() {
        // Rome to Paris: about 1 106 km.
        let d = haversine(12.4964, 41.9028, 2.3522, 48.8566);
        assert!((d - 1_106_000.0).abs() < 5_000.0, "{d}");
        assert_eq!(haversine(1.0, 2.0, 1.0, 2.0), 0.0);
    }
}
