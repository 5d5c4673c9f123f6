"""The Chinese name of every cause code, as staff pages, exports and notifications show it."""
from __future__ import annotations

#: Every cause code → its Chinese name (the 11 codes of the taxonomy).
CAUSE_NAMES: dict[str, str] = {
    "staff.attitude": "员工态度",
    "staff.competence": "专业能力",
    "staff.resolution": "问题未解决",
    "company.policy": "公司规定",
    "company.product": "产品与价格",
    "company.system": "系统与排队",
    "company.network": "网络信号",
    "survey.issue": "调查本身",
    "customer.misreply": "客户误操作",
    "customer.other": "客户其他原因",
    "none": "无明确原因",
}
