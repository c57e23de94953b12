"""The one catalogue of issue codes: severity, level and the Chinese message
template. Templates use named placeholders filled from Issue.context; {cell}
is always available (e.g. 表1!H7)."""
from __future__ import annotations

from dataclasses import dataclass

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Code:
    code: str
    severity: str
    level: str  # file | row | enterprise
    title: str
    template: str


_CODES = [
    # --- file level: the input is rejected, reason = code ----------------------
    Code("file_unreadable", ERROR, "file", "文件无法读取",
         "无法读取此文件：{detail}。请用 Excel 或 WPS 打开后另存为 .xlsx 再报送。"),
    Code("file_encrypted", ERROR, "file", "文件有密码",
         "文件设有打开密码，无法读取。请取消密码（文件→信息→保护工作簿→用密码进行加密，清空密码）后重新报送。"),
    Code("file_too_large", ERROR, "file", "文件过大",
         "文件过大或解压后体积异常（{detail}），不像正常的报表。请删除无关工作表和图片后重新报送。"),
    Code("table_not_found", ERROR, "file", "未找到表1或表2",
         "所有工作表中都没有找到表1或表2的表头（表1需有“企业名称”“购置设备名称种类金额”“总价”等列，"
         "表2需有“企业名称”“股权投资机构名称”“投资金额”等列）。请使用统一模板填报。"),
    Code("input_has_macros", WARNING, "file", "文件含有宏",
         "文件含有宏（VBA 或 Excel 4.0 宏）。本工具只读取其中的数据，不会运行任何宏；请勿在 Excel 中启用此文件的宏，"
         "并提醒报送单位使用不含宏的 .xlsx 模板。"),
    # --- row level: the row is excluded ----------------------------------------
    Code("required_missing", ERROR, "row", "必填项为空",
         "“{column}”未填写。请在 {cell} 补填。"),
    Code("enterprise_category_invalid", ERROR, "row", "申报单位类别无法识别",
         "申报单位类别“{value}”无法识别，应为“领跑者”企业或营收前三企业（只选一项）。请更正 {cell}。"),
    Code("equipment_category_invalid", ERROR, "row", "设备类别无法识别",
         "设备“{value}”未以研发、试验、检验检测或先进生产设备开头，无法确定设备类别。"
         "请按“研发1：XX仪器”的格式更正 {cell}。"),
    Code("production_equipment_not_leader", ERROR, "row", "先进生产设备只限领跑者企业",
         "“{value}”属于先进生产设备，只有“领跑者”企业可以申报，营收前三企业只能申报研发、试验、检验检测设备。"
         "请删除该行或更正 {cell}。"),
    Code("amount_invalid", ERROR, "row", "金额无效",
         "“{column}”的值“{value}”不是有效金额（应为大于0的数字，单位万元）。请更正 {cell}。"),
    Code("total_less_than_unit_price", ERROR, "row", "总价小于单价",
         "总价 {total} 万元小于单价 {unit_price} 万元。请核对 {cell} 的单价和总价。"),
    Code("cluster_unknown", ERROR, "row", "集群不在名单内",
         "所属集群“{value}”不在《可申报项目特色产业集群名单》中{hint}。请按名单填写完整的集群名称（{cell}）。"),
    Code("cluster_county_mismatch", ERROR, "row", "集群与所在县不符",
         "集群“{value}”属于{expected}，与所填县（市）“{county}”不一致。请核对 {cell}。"),
    Code("city_unknown", ERROR, "row", "地市无法识别",
         "所在地市“{value}”不是河北省设区市（含定州、辛集）。请更正 {cell}。"),
    Code("city_county_mismatch", ERROR, "row", "县与地市不符",
         "县（市、区）“{county}”不属于{value}{expected}。请核对 {cell}。"),
    Code("agreement_date_invalid", ERROR, "row", "协议时间无效",
         "签订股权协议时间“{value}”不是有效日期。请按 2023-05-08 或 2023年5月8日 的格式填写 {cell}。"),
    Code("agreement_date_too_early", ERROR, "row", "协议时间早于申报范围",
         "签订股权协议时间 {value} 不在 {limit} 之后，不属于本次征集范围。请核对 {cell}。"),
    Code("exit_before_agreement", ERROR, "row", "退出时间早于协议时间",
         "退出时间 {value} 早于签订股权协议时间 {agreement}。请核对 {cell}。"),
    Code("share_out_of_range", ERROR, "row", "占股比例无效",
         "占股比例“{value}”应为大于0且不超过100的百分数（如 5 或 5%）。请更正 {cell}。"),
    # --- enterprise level: the whole enterprise is excluded ---------------------
    Code("below_threshold", ERROR, "enterprise", "未达申报门槛",
         "企业“{name}”的有效设备合计 {total} 万元，未达到 {threshold} 万元的申报门槛，整户不予汇总。"),
    Code("mixed_enterprise_category", ERROR, "enterprise", "申报类别不一致",
         "企业“{name}”的行同时填了“{categories}”。创新发展项目只能选择一项申报，请统一 {cell} 等单元格的申报单位类别。"),
    Code("duplicate_enterprise", ERROR, "enterprise", "企业重复报送",
         "企业“{name}”同时出现在多个报送文件中（{others}）。请与相关县（市、区）核实，只保留一处后重新报送。"),
    # --- warnings: never exclude ------------------------------------------------
    Code("amount_unit_suspect", WARNING, "row", "金额单位存疑",
         "单价 {value} 万元超过 {limit} 万元，可能是按“元”填写的（本表单位为万元）。请核实 {cell}。"),
    Code("excluded_equipment_suspect", WARNING, "row", "疑似排放监测设备",
         "“{value}”含“{keyword}”，疑似用于检测生产排放是否符合环保标准的设备，此类设备不在征集范围内。请核实 {cell} 的设备用途。"),
    Code("total_not_multiple", WARNING, "row", "总价不是单价的整数倍",
         "总价 {total} 万元不是单价 {unit_price} 万元的整数倍。请核对 {cell} 的数量和金额。"),
    Code("text_truncated", WARNING, "row", "文字过长已截断",
         "单元格 {cell} 的文字过长（{length} 个字符），已截断为前 {limit} 个字符。请核实内容。"),
    Code("formula_text", WARNING, "row", "以等号开头的文本",
         "单元格 {cell} 的内容“{value}”以“=”开头，已按文本保留，不会作为公式计算。"),
]

CATALOGUE: dict[str, Code] = {c.code: c for c in _CODES}
FILE_CODES = tuple(c.code for c in _CODES if c.level == "file")


class _Blank(dict):
    def __missing__(self, name: str) -> str:
        return ""


def render(code: str, context: dict) -> str:
    return CATALOGUE[code].template.format_map(_Blank(context))
