//! Charts of series over time as SVG (stacked panels sharing the x axis), for replays and
//! anything else a playbook wants to show.

use plotters::prelude::*;

/// One line.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// One panel: a y axis and its lines.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    pub y_label: String,
    pub series: Vec<Series>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub title: String,
    pub x_label: String,
    pub panels: Vec<Panel>,
}

const COLOURS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// The chart as SVG text.
pub fn svg(chart: &Chart) -> Result<String, String> {
    let mut out = String::new();
    let height = 80 + 260 * chart.panels.len().max(1) as u32;
    {
        let root = SVGBackend::with_string(&mut out, (1000, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let root = root
            .titled(&chart.title, ("sans-serif", 22))
            .map_err(|e| e.to_string())?;
        let areas = root.split_evenly((chart.panels.len().max(1), 1));
        let all_x = chart
            .panels
            .iter()
            .flat_map(|p| p.series.iter())
            .flat_map(|s| s.points.iter().map(|p| p.0));
        let (x0, x1) = bounds(all_x);
        for (panel, area) in chart.panels.iter().zip(areas.iter()) {
            let (y0, y1) = bounds(
                panel
                    .series
                    .iter()
                    .flat_map(|s| s.points.iter().map(|p| p.1)),
            );
            let y0 = y0.min(0.0);
            let mut c = ChartBuilder::on(area)
                .margin(12)
                .x_label_area_size(36)
                .y_label_area_size(64)
                .build_cartesian_2d(x0..x1, y0..(y1 * 1.08).max(y0 + 1.0))
                .map_err(|e| e.to_string())?;
            c.configure_mesh()
                .x_desc(chart.x_label.as_str())
                .y_desc(panel.y_label.as_str())
                .light_line_style(WHITE.mix(0.0))
                .draw()
                .map_err(|e| e.to_string())?;
            for (i, s) in panel.series.iter().enumerate() {
                let colour = COLOURS[i % COLOURS.len()];
                c.draw_series(LineSeries::new(
                    s.points.iter().copied(),
                    colour.stroke_width(2),
                ))
                .map_err(|e| e.to_string())?
                .label(s.name.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2))
                });
            }
            if panel.series.iter().any(|s| !s.name.is_empty()) {
                c.configure_series_labels()
                    .background_style(WHITE.mix(0.85))
                    .border_style(BLACK.mix(0.3))
                    .position(SeriesLabelPosition::UpperLeft)
                    .draw()
                    .map_err(|e| e.to_string())?;
            }
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        (0.0, 1.0)
    } else if lo == hi {
        (lo - 1.0, hi + 1.0)
    } else {
        (lo, hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_has_every_series_and_label() {
        let chart = Chart {
            title: "replay".into(),
            x_label: "minute".into(),
            panels: vec![
                Panel {
                    y_label: "req/s".into(),
                    series: vec![Series {
                        name: "load".into(),
                        points: vec![(0.0, 110.0), (30.0, 1100.0)],
                    }],
                },
                Panel {
                    y_label: "pods".into(),
                    series: vec![Series {
                        name: "min 2, cpu 70%".into(),
                        points: vec![(0.0, 2.0), (30.0, 12.0)],
                    }],
                },
            ],
        };
        let text = svg(&chart).unwrap();
        assert!(text.starts_with("<svg"), "{}", &text[..80]);
        for label in ["replay", "req/s", "pods", "min 2, cpu 70%", "minute"] {
            assert!(text.contains(label), "{label} missing");
        }
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("<polyline") && l.contains("stroke-width=\"2\""))
            .collect();
        // Each series once, and once more as its legend swatch.
        assert_eq!(lines.len(), 4, "{lines:#?}");
    }
}
