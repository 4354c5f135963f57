//! A synthetic plan table at any scale, for benchmarks and demos: `bloodplan gen` writes it
//! as a plan folder (plan.toml + units.csv) that `bloodplan import` loads like a real one.
//!
//! Deterministic: the same cities, units per city, year and seed give the same bytes. Each
//! city contributes counties (COUNTY), city-level units of every kind (CITY_UNIT) and
//! enterprises (ENTERPRISE) in roughly the 2020 table's proportions (6 : 122 : 29), with
//! quotas drawn around its rows' sizes; the printed totals are the rows' sums.
use std::fmt::Write;

use super::unit_kind::UnitKind;

/// SplitMix64: small, fast and good enough to spread synthetic quotas.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `low..=high`.
    fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low + 1)
    }
}

/// The kinds a city-level row cycles through (every kind but the county governments').
const CITY_KINDS: [UnitKind; 10] = [
    UnitKind::Government,
    UnitKind::School,
    UnitKind::Hospital,
    UnitKind::University,
    UnitKind::Bank,
    UnitKind::Insurer,
    UnitKind::Military,
    UnitKind::Hotel,
    UnitKind::Retail,
    UnitKind::Other,
];

/// A generated plan folder's two files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntheticPlan {
    pub plan_toml: String,
    pub units_csv: String,
    pub rows: u64,
}

/// `cities` × `units_per_city` rows (at least 3 per city: a county, a city unit, an
/// enterprise).
pub fn synthetic_plan(cities: u32, units_per_city: u32, year: i32, seed: u64) -> SyntheticPlan {
    let per_city = units_per_city.max(3);
    // 2020: 6 counties and 29 enterprises of 157 rows.
    let counties = (per_city * 6 / 157).max(1);
    let enterprises = (per_city * 29 / 157).max(1);
    let city_units = per_city - counties - enterprises;
    let mut random = SplitMix64(seed);
    let mut sections: [(&str, Vec<String>, u64); 3] =
        [("COUNTY", Vec::new(), 0), ("CITY_UNIT", Vec::new(), 0), ("ENTERPRISE", Vec::new(), 0)];
    for city in 1..=cities {
        let place = format!("第{city:04}市");
        for n in 1..=counties {
            let quota = random.between(800, 3000);
            sections[0].1.push(format!("{place}第{n:02}县,{quota},,,government"));
            sections[0].2 += quota;
        }
        for n in 1..=city_units {
            let kind = CITY_KINDS[(n as usize - 1) % CITY_KINDS.len()];
            let quota = match kind {
                UnitKind::University => random.between(400, 2800),
                UnitKind::Hospital => random.between(50, 300),
                _ => random.between(10, 120),
            };
            sections[1].1.push(format!("{place}市直单位{n:04},{quota},,,{kind}"));
            sections[1].2 += quota;
        }
        for n in 1..=enterprises {
            let quota = random.between(10, 100);
            sections[2].1.push(format!("{place}企业{n:04},{quota},,,enterprise"));
            sections[2].2 += quota;
        }
    }
    let mut units_csv = String::from("section,seq,name,quota,site,note,kind\n");
    for (section, rows, _) in &sections {
        for (seq, row) in rows.iter().enumerate() {
            // A comma-free name and empty site and note: the row needs no quoting.
            let _ = writeln!(units_csv, "{section},{},{row}", seq + 1);
        }
    }
    let total: u64 = sections.iter().map(|s| s.2).sum();
    let mut plan_toml = format!(
        "# A synthetic plan: bloodplan gen --cities {cities} --units-per-city {units_per_city} --year {year} --seed {seed}\n\
         year = {year}\n\
         title = \"{year}年团体无偿献血计划表（合成数据）\"\n\
         donation_target = {total}\n\
         volume_target_ml = {}\n\
         donation_rate_per_thousand = 15\n\
         units = \"units.csv\"\n\n[printed_totals]\n",
        total * 300
    );
    for (section, _, sum) in &sections {
        let _ = writeln!(plan_toml, "{section} = {sum}");
    }
    SyntheticPlan { plan_toml, units_csv, rows: u64::from(cities) * u64::from(per_city) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::plan_table::{check_plan, parse_manifest, parse_rows};

    #[test]
    fn the_same_arguments_give_the_same_bytes_and_another_seed_other_quotas() {
        assert_eq!(synthetic_plan(3, 20, 2021, 7), synthetic_plan(3, 20, 2021, 7));
        let other = synthetic_plan(3, 20, 2021, 8);
        assert_ne!(synthetic_plan(3, 20, 2021, 7).units_csv, other.units_csv);
    }

    #[test]
    fn a_generated_table_passes_the_plan_checks_with_every_row_and_its_printed_totals() {
        let plan = synthetic_plan(4, 150, 2021, 42);
        let (rows, problems) = parse_rows("units.csv", &plan.units_csv);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(rows.len(), 600);
        assert_eq!(plan.rows, 600);
        // 150 per city: 5 counties, 27 enterprises, the rest city-level units.
        let counties = rows.iter().filter(|r| r.section == crate::domain::section::Section::County).count();
        assert_eq!(counties, 4 * 5);
        let manifest = parse_manifest("plan.toml", &plan.plan_toml).expect("a valid plan.toml");
        let table = check_plan("units.csv", manifest, rows, None).expect("no problems");
        assert_eq!(table.year, 2021);
        assert!(table.warnings.is_empty(), "the printed totals are the rows' sums: {:?}", table.warnings);
    }
}
