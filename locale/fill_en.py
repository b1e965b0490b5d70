"""Fill locale/en/LC_MESSAGES/django.po from the table below, then compile it.

Run after ``manage.py makemessages -l en`` (needs GNU gettext):
    .venv/bin/python locale/fill_en.py && .venv/bin/python manage.py compilemessages -l en
A source string missing from the table is reported, left untranslated, and
fails tests/test_project.py.
"""

import re
import sys
from pathlib import Path

EN = {
    "小区": "Estate", "居民身份证号码": "Resident ID number", "删除已登记的身份证号码": "Delete the stored ID number",
    "已登记：%(masked)s。留空则保持不变。": "Stored: %(masked)s. Leave blank to keep it.",
    "仅在确有需要时登记。": "Record only where truly needed.",
    "规则（留空即采用全国默认值）": "Rules (blank = national default)", "范围类型": "Scope type",
    "编号为 %(id)s 的%(type)s不存在。": "There is no %(type)s with number %(id)s.",
    "社区登记": "Community registry", "搜索": "Search", "街道": "Street", "社区": "Community", "网格": "Grid",
    "管理状态": "Management", "全部": "All",
    "所选%(field)s不存在或不在您的管辖范围内。": "The chosen %(field)s does not exist or is outside your area.",
    "楼栋": "Building", "全部楼栋": "All buildings", "所选楼栋不属于本小区。": "The chosen building is not in this estate.",
    "统一社会信用代码无效：应为 18 位，且校验位正确（GB 32100-2015）。": "Invalid unified social credit code: 18 characters with a correct check character (GB 32100-2015).",
    "居民身份证号码无效：应为 18 位，出生日期真实，且校验位正确。": "Invalid resident ID number: 18 characters, a real birth date and a correct check digit.",
    "手机号码无效：应为以 1 开头的 11 位数字。": "Invalid mobile number: 11 digits starting with 1.",
    "查看辖区登记信息": "View the registry of the area", "维护辖区登记信息": "Maintain the registry of the area",
    "查看业主完整个人信息": "See owners' full personal data", "名称": "Name", "说明": "Note", "规则集": "Rule set",
    "“%(label)s”的值无效：%(error)s": "Invalid value for “%(label)s”: %(error)s",
    "留空则采用全国默认值：%(default)s。依据：%(source)s": "Blank = national default: %(default)s. Source: %(source)s",
    "编码": "Code", "区": "District", "修改本区规则集": "Edit the district's rule set",
    "物业服务企业管理": "Property company", "业主自行管理": "Self-managed", "无物业管理": "No manager",
    "小区名称": "Estate name", "地址": "Address", "交付日期": "Delivered on",
    "管理状态历史从此日起算。": "The management history starts on this day.", "登记时间": "Registered at",
    "房号": "Room", "楼层": "Floor", "产权登记面积（㎡）": "Registered area (m²)", "实测面积（㎡）": "Surveyed area (m²)",
    "合同面积（㎡）": "Contract area (m²)", "已交付": "Delivered",
    "开发建设单位已售但未交付的房屋，表决时计入开发建设单位。": "A unit sold but not yet delivered counts with the developer in votes.",
    "房屋": "Units", "房屋至少要有一个面积：产权登记、实测或合同面积。": "A unit needs at least one area: registered, surveyed or contract.",
    "自然人": "Person", "组织": "Organisation", "类型": "Kind", "姓名/名称": "Name", "手机号码": "Mobile",
    "仅在确有需要时登记，任何页面只显示脱敏后的号码。": "Record only where needed; every page shows it masked.",
    "统一社会信用代码": "Unified social credit code", "开发建设单位": "Developer", "登录账号": "Login", "业主": "Owner",
    "自然人不登记统一社会信用代码，组织不登记身份证号码。": "A person has no credit code and an organisation no resident ID.",
    "开发建设单位须为组织。": "A developer must be an organisation.", "起始日期": "Start date", "终止日期": "End date",
    "最后一个持有日；空表示仍持有。": "Last day held; blank while still held.", "产权": "Ownership",
    "终止日期不能早于起始日期。": "The end date cannot be before the start date.", "企业名称": "Company name",
    "联系电话": "Phone", "物业服务企业": "Property company", "包干制": "Lump sum", "酬金制": "Remuneration",
    "收费方式": "Fee mode", "约定终止日期": "Agreed end date", "提前终止日期": "Early termination date",
    "合同实际最后一日。": "The contract's actual last day.", "登记人": "Recorded by", "物业服务合同": "Service contract",
    "合同终止日期不能早于起始日期。": "A contract cannot end before it starts.",
    "提前终止日期须在合同期内。": "An early termination must fall within the term.",
    "自行管理期间": "Self-management period", "区管理员": "District administrator", "街道工作人员": "Street staff",
    "社区工作人员": "Community staff", "网格员": "Grid worker", "业委会委员": "Committee member",
    "物业企业工作人员": "Property-company staff", "调解员": "Mediator", "用户": "User", "角色": "Role",
    "范围编号": "Scope number", "授予时间": "Granted at", "授予人": "Granted by", "角色分配": "Role assignment",
    "您没有权限进行此操作。": "You are not allowed to do this.",
    "“%(role)s”只能分配在%(scope)s上。": "“%(role)s” can only be held on a %(scope)s.",
    "该用户已在此范围担任此角色。": "This user already holds this role here.",
    "过户至少要有一位新业主。": "A transfer needs at least one new owner.",
    "过户日期不能早于现业主的起始日期（%(date)s）。": "The transfer cannot be dated before the current owner's start (%(date)s).",
    "该小区在此期间已有物业服务合同（%(contract)s），合同期不能重叠。": "The estate already has a contract in this period (%(contract)s); terms cannot overlap.",
    "提前终止日期须在合同期内（%(start)s 至 %(end)s）。": "The early end must fall within the term (%(start)s to %(end)s).",
    "该小区在 %(date)s 有物业服务合同，不能同时登记为自行管理。": "The estate has a service contract on %(date)s and cannot also be self-managed.",
    "该小区已处于自行管理状态。": "The estate is already self-managed.",
    "该小区当前没有进行中的自行管理期间。": "The estate has no self-management period running.",
    "房号重复：%(room)s。": "Duplicate room: %(room)s.", "楼栋名称重复：%(name)s。": "Duplicate building name: %(name)s.",
    "产权终止日期不能早于起始日期。": "An ownership cannot end before it starts.",
    "房屋 %(room)s 没有面积：产权登记、实测、合同面积至少填一项。": "Unit %(room)s has no area: give a registered, surveyed or contract area.",
    "房屋 %(unit)s 不属于小区 %(estate)s。": "Unit %(unit)s is not in estate %(estate)s.",
    "物业治理": "Estate Governance", "物业治理 · 管理后台": "Estate Governance · Admin", "登记与规则": "Registry and rules",
    "无权访问": "Not allowed", "您的账号没有查看此页面的权限。如需开通，请联系所在社区或街道。": "Your account may not see this page. Ask your community or street office for access.",
    "返回首页": "Back to the start page", "页面不存在": "Page not found",
    "您要找的内容不存在，或不在您的管辖范围内。": "What you are looking for does not exist or is outside your area.",
    "管理后台": "Admin", "退出": "Log out", "登录": "Log in", "小区名录": "Estate directory", "筛选": "Filter",
    "清除": "Clear", "共 %(n)s 个小区": ("%(n)s estate", "%(n)s estates"), "街道 / 社区 / 网格": "Street / community / grid",
    "所属": "Area", "没有符合条件的小区。": "No estate matches.", "总面积（㎡）": "Total area (m²)",
    "管理状态历史": "Management history", "至今": "today", "%(n)s 天": ("%(n)s day", "%(n)s days"),
    "房屋与业主": "Units and owners", "业主姓名和电话已脱敏显示。": "Owners' names and phone numbers are masked.",
    "面积（㎡）": "Area (m²)", "面积依据": "Area source", "未交付": "not delivered", "面积": "Area", "依据": "Source",
    "共有": "co-owned", "尚无房屋。": "No units yet.", "我的房屋": "My units", "持有起始": "Held since",
    "您的账号尚未关联房屋。请持产权证明到所在社区办理关联。": "Your account is not linked to a unit yet. Bring your title deed to the community office.",
    "上一页": "Previous", "第 %(n)s / %(total)s 页": "Page %(n)s of %(total)s", "下一页": "Next",
    "用户名或密码不正确，请重新输入。": "Wrong user name or password. Please try again.", "用户名": "User name", "密码": "Password",
    "公告": "Notice", "公示": "Publicity", "表决": "Votes", "财务": "Finance", "维修资金": "Maintenance fund",
    "业委会": "Committee", "调解": "Mediation", "综合": "General", "简介": "Introduction", "区首页": "District home",
    "社区页面": "Community page", "小区页面": "Estate page", "类别": "Category", "正文": "Body",
    "公示开始": "Publicity starts", "公示结束": "Publicity ends",
    "含当日。公示须填写起止日期。": "Inclusive. A publicity needs both dates.", "发布单位": "Issued by", "来源": "Source",
    "自动起草时记录产生它的记录，如 fees.Disclosure:12。": "For automatic drafts, the record that produced it, e.g. fees.Disclosure:12.",
    "公告信息": "Notice details", "公示期": "Publicity period", "附件（PDF）": "Attachments (PDF)",
    "公示须填写公示开始和结束日期。": "A publicity needs a start and an end date.",
    "填写了结束日期时须填写开始日期。": "An end date needs a start date.",
    "公示结束日期不能早于开始日期。": "The publicity cannot end before it starts.", "文件": "File", "附件": "Attachments",
    "您没有权限在此发布或编辑公告。": "You may not publish or edit notices here.",
    "附件“%(name)s”不是 PDF 文件。": "Attachment “%(name)s” is not a PDF file.",
    "公告类别“%(category)s”无效。": "“%(category)s” is not a notice category.",
    "起草公告": "Draft notices", "发布公告": "Publish notices", "社区公告": "Community notices", "暂无小区。": "No estates yet.",
    "区级公告": "District notices", "公告公示": "Notices", "已归档": "Archived", "暂无公告。": "No notices yet.",
    "分享链接": "Share link", "公示期 %(days)s 天": "publicity %(days)s days", "剩余 %(left)s 天": "%(left)s days left",
    "公示期已满": "period over", "%(start)s 起公示": "from %(start)s", "搜索公告": "Search notices",
    "找到 %(n)s 条公告": ("%(n)s notice found", "%(n)s notices found"),
    "搜索公告，如：停水、维修资金": "Search notices, e.g. water, maintenance fund", "工作台": "Workspace",
}


def quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def main() -> int:
    path = Path(__file__).parent / "en" / "LC_MESSAGES" / "django.po"
    blocks = path.read_text(encoding="utf-8").split("\n\n")
    missing = []
    out = []
    for block in blocks:
        match = re.search(r'^msgid "(.+)"$', block, re.M)
        if not match:
            out.append(block)
            continue
        msgid = match.group(1)
        english = EN.get(msgid)
        if english is None:
            missing.append(msgid)
            out.append(block)
            continue
        block = block.replace("#, fuzzy\n", "")
        if isinstance(english, tuple):
            block = re.sub(r'msgstr\[0\] ".*"', f'msgstr[0] "{quote(english[0])}"', block)
            block = re.sub(r'msgstr\[1\] ".*"', f'msgstr[1] "{quote(english[1])}"', block)
        else:
            block = re.sub(r'^msgstr ".*"$', lambda m, english=english: f'msgstr "{quote(english)}"', block, flags=re.M)
        out.append(block)
    path.write_text("\n\n".join(out), encoding="utf-8")
    for msgid in missing:
        print("untranslated:", msgid, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
