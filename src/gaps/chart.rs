//! The answer rate per week as a PNG bar chart: one bar a week (its height the
//! share answered, on a light track that stands for 100 %), grid lines at 25,
//! 50 and 75 %. No text is drawn; the weeks run left to right, oldest first,
//! as in the report's table.

use crate::model::WeekRate;

pub const HEIGHT: u32 = 200;
pub const MARGIN: u32 = 20;
pub const BAR: u32 = 24;
pub const GAP: u32 = 12;

pub const BACKGROUND: [u8; 3] = [255, 255, 255];
pub const TRACK: [u8; 3] = [230, 233, 240];
pub const FILL: [u8; 3] = [46, 125, 220];
pub const GRID: [u8; 3] = [190, 190, 190];

#[derive(Debug, thiserror::Error)]
#[error("drawing the chart: {0}")]
pub struct ChartError(#[from] png::EncodingError);

/// Width of the chart of `weeks` weeks.
pub fn width(weeks: usize) -> u32 {
    let n = u32::try_from(weeks.clamp(1, 520)).unwrap_or(520);
    2 * MARGIN + n * BAR + (n - 1) * GAP
}

/// The x of the first column of week `i`'s bar.
pub fn bar_x(i: usize) -> u32 {
    MARGIN + u32::try_from(i).unwrap_or(0) * (BAR + GAP)
}

/// The PNG bytes of the chart (at most 520 weeks are drawn: ten years).
pub fn answer_rate_png(weeks: &[WeekRate]) -> Result<Vec<u8>, ChartError> {
    let (w, h) = (width(weeks.len()), HEIGHT);
    let mut px = vec![0u8; (w * h * 3) as usize];
    let mut put = |x: u32, y: u32, c: [u8; 3]| {
        if x < w && y < h {
            let i = ((y * w + x) * 3) as usize;
            px[i..i + 3].copy_from_slice(&c);
        }
    };
    for y in 0..h {
        for x in 0..w {
            put(x, y, BACKGROUND);
        }
    }
    let plot = h - 2 * MARGIN;
    let bottom = h - MARGIN;
    for (i, week) in weeks.iter().take(520).enumerate() {
        let x0 = bar_x(i);
        let filled = (week.rate.clamp(0.0, 1.0) * plot as f32).round() as u32;
        for x in x0..x0 + BAR {
            for dy in 0..plot {
                let y = bottom - 1 - dy;
                put(x, y, if dy < filled { FILL } else { TRACK });
            }
        }
    }
    for quarter in 1..4 {
        let y = bottom - plot * quarter / 4;
        for x in MARGIN / 2..w - MARGIN / 2 {
            // dotted, so the bars stay readable under it
            if x % 4 < 2 {
                put(x, y, GRID);
            }
        }
    }
    for x in MARGIN / 2..w - MARGIN / 2 {
        put(x, bottom, GRID);
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header()?;
        writer.write_image_data(&px)?;
        writer.finish()?;
    }
    Ok(out)
}
