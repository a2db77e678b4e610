//! Values as the REPL shows them: strings as text, status maps as aligned key/value lines,
//! lists of pods, revisions, events or endpoints as tables.

use rhai::{Array, Dynamic, Map};

/// Column sets for lists of maps of a known shape, recognised by their keys.
const TABLES: &[(&[&str], &[&str])] = &[
    (
        &["replica_set", "restarts"],
        &[
            "name", "status", "ready", "restarts", "revision", "image", "age",
        ],
    ),
    (
        &["revision", "replica_set", "current"],
        &[
            "revision",
            "image",
            "replica_set",
            "current",
            "change_cause",
        ],
    ),
    (
        &["reason", "object", "message"],
        &["time", "type", "reason", "object", "message"],
    ),
    (
        &["pod", "serving", "terminating"],
        &["pod", "ip", "ready", "serving", "terminating"],
    ),
    (&["outcome", "line"], &["line"]),
];

/// The order status maps read best in; other keys follow alphabetically.
const STATUS_ORDER: &[&str] = &[
    "kind",
    "name",
    "namespace",
    "image",
    "images",
    "revision",
    "replicas",
    "current",
    "updated",
    "ready",
    "available",
    "unavailable",
    "paused",
    "strategy",
    "generation",
    "observed_generation",
    "done",
    "message",
    "error",
    "conditions",
];

/// The text the REPL prints for a value (empty for `()`).
pub fn render(value: &Dynamic) -> String {
    if value.is_unit() {
        return String::new();
    }
    if let Some(s) = value.clone().try_cast::<rhai::ImmutableString>() {
        return s.to_string();
    }
    if let Some(map) = value.clone().try_cast::<Map>() {
        return render_map(&map);
    }
    if let Some(items) = value.clone().try_cast::<Array>() {
        return render_array(&items);
    }
    value.to_string()
}

/// One line for a nested value.
fn inline(value: &Dynamic) -> String {
    if value.is_unit() {
        return "-".into();
    }
    if let Some(s) = value.clone().try_cast::<rhai::ImmutableString>() {
        return s.to_string();
    }
    if let Some(map) = value.clone().try_cast::<Map>() {
        let parts: Vec<String> = map
            .iter()
            .map(|(k, v)| format!("{k}: {}", inline(v)))
            .collect();
        return format!("{{{}}}", parts.join(", "));
    }
    if let Some(items) = value.clone().try_cast::<Array>() {
        let parts: Vec<String> = items.iter().map(inline).collect();
        return format!("[{}]", parts.join(", "));
    }
    value.to_string()
}

fn render_map(map: &Map) -> String {
    if map.is_empty() {
        return "#{}".into();
    }
    let mut keys: Vec<&str> = map.keys().map(|k| k.as_str()).collect();
    if map.contains_key("done") && map.contains_key("available") {
        keys.sort_by_key(|k| {
            STATUS_ORDER
                .iter()
                .position(|o| o == k)
                .unwrap_or(STATUS_ORDER.len())
        });
    }
    let width = keys.iter().map(|k| k.len()).max().unwrap_or(0);
    let mut out = Vec::new();
    for k in keys {
        let v = &map[k];
        match v.clone().try_cast::<Array>() {
            Some(items) if items.iter().all(|i| i.is_map()) && !items.is_empty() => {
                out.push(format!("{k:width$}"));
                for item in items {
                    out.push(format!("{:width$}  - {}", "", inline(&item)));
                }
            }
            _ => out.push(format!("{k:width$}  {}", inline(v))),
        }
    }
    out.join("\n")
}

fn render_array(items: &Array) -> String {
    if items.is_empty() {
        return "[]".into();
    }
    let maps: Vec<Map> = items
        .iter()
        .filter_map(|i| i.clone().try_cast::<Map>())
        .collect();
    if maps.len() != items.len() {
        return inline(&Dynamic::from_array(items.clone()));
    }
    let columns: Vec<String> = TABLES
        .iter()
        .find(|(marks, _)| marks.iter().all(|m| maps[0].contains_key(*m)))
        .map(|(_, cols)| cols.iter().map(|c| c.to_string()).collect())
        .unwrap_or_else(|| maps[0].keys().map(|k| k.to_string()).collect());
    if columns.len() == 1 {
        return maps
            .iter()
            .map(|m| m.get(columns[0].as_str()).map(inline).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n");
    }
    let cells: Vec<Vec<String>> = maps
        .iter()
        .map(|m| {
            columns
                .iter()
                .map(|c| m.get(c.as_str()).map(inline).unwrap_or_else(|| "-".into()))
                .collect()
        })
        .collect();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            cells
                .iter()
                .map(|row| row[i].chars().count())
                .chain([c.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |row: &[String]| {
        row.iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let header: Vec<String> = columns.iter().map(|c| c.to_uppercase()).collect();
    let mut out = vec![line(&header)];
    out.extend(cells.iter().map(|r| line(r)));
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, Dynamic)]) -> Dynamic {
        let mut m = Map::new();
        for (k, v) in pairs {
            m.insert((*k).into(), v.clone());
        }
        Dynamic::from_map(m)
    }

    #[test]
    fn pods_render_as_a_table() {
        let pod = |name: &str, ready: bool| {
            map(&[
                ("name", name.into()),
                ("status", "Running".into()),
                ("ready", ready.into()),
                ("restarts", 0i64.into()),
                ("revision", 2i64.into()),
                ("image", "web:2".into()),
                ("age", 12i64.into()),
                ("replica_set", "web-abc".into()),
            ])
        };
        let text = render(&Dynamic::from_array(vec![
            pod("web-abc-1", true),
            pod("web-abc-22", false),
        ]));
        assert_eq!(
            text,
            "NAME        STATUS   READY  RESTARTS  REVISION  IMAGE  AGE\nweb-abc-1   Running  true   0         2         web:2  12\nweb-abc-22  Running  false  0         2         web:2  12"
        );
    }

    #[test]
    fn status_maps_read_top_down_and_aligned() {
        let st = map(&[
            ("message", "done".into()),
            ("name", "web".into()),
            ("available", 3i64.into()),
            ("done", true.into()),
        ]);
        assert_eq!(
            render(&st),
            "name       web\navailable  3\ndone       true\nmessage    done"
        );
        assert_eq!(render(&Dynamic::from("plain")), "plain");
        assert_eq!(render(&Dynamic::UNIT), "");
    }
}
