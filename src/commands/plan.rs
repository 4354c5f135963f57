//! `bloodplan plan copy`: a new year's draft plan folder from the last year's plan.
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use bloodplan::services::plan_copy;

/// Writes the draft of `to` copied from `from` into `out` (default `drafts/<to>`), refusing
/// to overwrite a folder that already holds a plan (the office may have edited it).
pub async fn copy(from: i32, to: i32, out: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let out = out.unwrap_or_else(|| PathBuf::from("drafts").join(to.to_string()));
    if out.join(bloodplan::domain::plan_draft::PLAN_FILE).exists() {
        eprintln!("{} 中已有计划文件，未覆盖：请换一个 --out 目录，或先移走其中的文件", out.display());
        return Ok(ExitCode::FAILURE);
    }
    let state = super::migrated_state().await?;
    let draft = match plan_copy::draft(&state.db, from, to).await {
        Ok(draft) => draft,
        Err(e) => {
            eprintln!("未生成 {to} 年计划草稿：{e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    for file in &draft.files {
        let path = out.join(file.name);
        std::fs::write(&path, &file.content).with_context(|| format!("cannot write {}", path.display()))?;
    }
    println!("已从 {from} 年计划生成 {to} 年计划草稿：{}", out.display());
    for file in &draft.files {
        println!("  {}", file.name);
    }
    println!("修改后用 `bloodplan import {}` 导入", out.display());
    Ok(ExitCode::SUCCESS)
}
