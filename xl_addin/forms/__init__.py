"""Forms: one record per file, declared by row labels (the SME cluster 申报表, seed 001).

read (xlsx/docx -> label grid) -> locate (labels -> a Record) -> check -> consolidate
(附件4 推荐汇总表) -> render (the Excel template, the Word 申报表)."""
