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
    "应为“主题: 题数”，主题取 votes、committee、fund、fees、mediation、privacy，题数为非负整数且至少一题": "write “topic: count” with topics from votes, committee, fund, fees, mediation, privacy, counts whole numbers, at least one question",
    "判断题的正确答案填“对”或“错”；多选题填字母，如 ACD。有任何错误则一题都不导入。": "For true/false write 对 or 错; for multiple choice write letters such as ACD. If any row is wrong, nothing is imported.",
    "每道题点“保存”后即记录在服务器上，断网或换手机都不会丢失。计时以服务器为准，到时自动交卷。": "Each answer is stored on the server when you press Save, so a lost connection or another phone loses nothing. The server keeps the time and submits the paper when it runs out.",
    # committees: committee life and meetings
    "不能从“%(from)s”转为“%(to)s”。": "Cannot move from “%(from)s” to “%(to)s”.",
    "选举须依据已结束并获通过的“选举业主委员会”表决（民法典第278条第3项）。": "An election needs a closed, passed vote on electing the committee (Civil Code art. 278, matter 3).",
    "委员须为 %(min)s 至 %(max)s 人%(odd)s，现为 %(n)s 人。": "A committee has %(min)s to %(max)s members%(odd)s; this one has %(n)s.",
    "委员须为本小区业主：%(names)s 不是。": "Members must own in the estate; %(names)s do not.",
    "首次会议应在选举后 %(days)s 日内召开（最迟 %(day)s）。": "The first meeting is due within %(days)s days of the election (by %(day)s).",
    "首次会议须推选一名主任。": "The first meeting must elect a chair.", "备案材料不全：%(missing)s": "The filing is incomplete: %(missing)s",
    "退回须写明理由。": "A return needs its reasons.",
    "提议召开会议须有三分之一以上委员（现 %(n)s / %(total)s 人）。": "At least a third of members must ask (now %(n)s of %(total)s).",
    "会议议题须提前 %(days)s 日公告：%(day)s 开会，最迟 %(latest)s 公告。": "The agenda is posted %(days)s days ahead: for %(day)s, by %(latest)s.",
    "业主委员会会议不得委托他人出席或表决。": "No proxies at committee meetings.", "出席和表决的须是本届委员。": "Only this committee's members attend and vote.",
    "出席委员未过半数（%(n)s / %(total)s 人），会议不能作出决定。": "Fewer than half the members attend (%(n)s of %(total)s): no decision can be made.",
    "同意的委员须出席会议。": "Members in favour must be present.", "业主委员会": "Owners' committee", "业主自管会": "Self-management committee",
    "已选举，待备案": "Elected, to be filed", "备案审查中": "Filing under review", "退回补正": "Returned", "已备案": "Filed",
    "已解散": "Dissolved", "选举表决": "Election vote", "选举日期": "Elected on", "任期届满": "Term ends", "首次会议日期": "First meeting",
    "已提交管理规约": "Covenant submitted", "已提交议事规则": "Rules of procedure submitted", "审查意见": "Review note", "主任": "Chair",
    "副主任": "Vice-chair", "委员": "Member", "委员会": "Committee", "职务": "Role", "已签书面承诺": "Undertaking signed",
    "会议日期": "Meeting date", "议题": "Agenda", "议题公告日期": "Agenda posted on", "出席委员": "Members present",
    "会议记录": "Minutes", "记录已由出席委员签字": "Minutes signed", "委员会会议": "Committee meeting", "会议": "Meeting",
    "决定事项": "Decision", "同意的委员": "Members in favour", "委员会决定": "Committee decision",
    "审查业主委员会备案": "Review committee filings", "业主委员会与期限": "Committees and deadlines", "备案清单": "Filing checklist",
    "提交备案": "File", "准予备案": "Accept the filing", "退回理由": "Reasons for returning", "办理记录": "History", "系统": "system",
    "期限": "Deadlines", "已逾期 %(n)s 天": "%(n)s days overdue", "辖区内暂无业主委员会。": "No committees in your area yet.",
    # committees: owners' votes
    "制定和修改业主大会议事规则": "Rules of procedure", "制定和修改管理规约": "Management covenant",
    "选举业主委员会或者更换业主委员会成员": "Electing or replacing the owners' committee",
    "选聘和解聘物业服务企业或者其他管理人": "Hiring or dismissing the property company or other manager",
    "使用建筑物及其附属设施的维修资金": "Using the maintenance fund", "筹集建筑物及其附属设施的维修资金": "Raising the maintenance fund",
    "改建、重建建筑物及其附属设施": "Rebuilding", "改变共有部分的用途或者利用共有部分从事经营活动": "Changing the use of common parts or running a business on them",
    "有关共有和共同管理权利的其他重大事项": "Other major matters", "表决中": "Open", "已结束": "Closed", "表决事项": "Matter",
    "表决内容": "Question", "表决范围（楼栋）": "Scope (buildings)", "不选则为全体业主。": "None chosen means the whole estate.",
    "结束时间": "Closes at", "状态": "Status", "召集时间": "Convened at", "表决结果": "Result", "结束计票时间": "Counted at",
    "业主表决": "Owners' vote", "表决权人": "Holder",
    "业主编号；共有人为逗号分隔的编号；开发建设单位为 developer。": "Owner number; co-owners as comma-separated numbers; the developer as developer.",
    "意见": "Choice", "同意": "Yes", "反对": "No", "弃权": "Abstain", "投票人": "Cast by", "录入人": "Entered by",
    "纸质表决票由工作人员录入时记录录入人。": "Records who entered a paper ballot.", "投票时间": "Cast at", "表决票": "Ballot",
    "业主大会须提前 %(days)s 日通知：最早可于 %(day)s 开始表决。": "Owners must be given %(days)s days' notice: the vote can open on %(day)s at the earliest.",
    "表决不在进行中。": "The vote is not open.", "您不是本次表决范围内这份表决权的持有人。": "You do not hold this vote in this ballot's scope.",
    "这份表决权已经投过票，每份只计一次。": "This holding has already voted; each counts once.",
    "表决期尚未结束，不能计票。": "The voting period has not ended yet.", "表决已经结束。": "The vote is already closed.",
    "意见只能是同意、反对或弃权。": "The choice must be yes, no or abstain.", "召集业主表决、录入纸质表决票": "Convene votes and enter paper ballots",
    "我的表决": "My votes", "第 %(n)s 份表决权": "Holding %(n)s", "共有，由您代表表决": "co-owned; you vote for all",
    "共有房屋，由您代表全体共有人表决。": "A co-owned unit: you vote for all its owners.", "您已投票：": "You voted: ",
    "工作人员已代录纸质表决票：": "Staff entered your paper ballot: ", "如有误，可在下方更正。": "Correct it below if it is wrong.",
    "提交表决": "Vote", "不在表决期内。": "Outside the voting period.", "通过": "Passed",
    "未达到参与表决的法定比例": "Quorum not reached", "未获通过": "Not passed", "未开始": "Not open yet", "已投票": "voted",
    "您所在小区暂无表决。": "No votes in your estate yet.", "表决进度": "Turnout",
    "页面显示打开时的数据，刷新可更新。": "Figures as of opening this page; reload to update.", "参与面积": "Area taking part",
    "参与人数": "Owners taking part", "参与比例": "Quorum", "已达到": "reached", "未达到": "not reached", "人": "owners",
    "尚未表决": "Not yet voted", "可能的结果": "Still possible", "仍可能通过": "can still pass", "已不可能通过": "can no longer pass",
    "仍可能不通过": "can still fail", "已确定通过": "certain to pass",
    # committees: exam and trainings
    "业委会与考试": "Committees and exams", "业主共同决定与表决": "Owners' decisions and votes",
    "业主大会与业主委员会": "Assemblies and committees", "专项维修资金": "Maintenance fund", "物业服务收费": "Property fees",
    "人民调解": "People's mediation", "个人信息保护": "Personal information", "单选题": "Single choice",
    "多选题": "Multiple choice", "判断题": "True or false", "题型": "Question type", "主题": "Topic", "题干": "Question",
    "法律依据": "Legal source", "例如：民法典第278条": "e.g. Civil Code art. 278", "解析": "Explanation", "启用": "Active",
    "试题": "Question", "选项": "Option", "正确": "Correct", "组织社区": "Organising community", "开考时间": "Opens at",
    "截止时间": "Closes at", "地点": "Place", "线上考试留空。": "Leave blank for an online sitting.", "组卷方案": "Blueprint",
    "每个主题的题数，如 {\"votes\": 5}。": "Questions per topic, e.g. {\"votes\": 5}.",
    "多选题部分得分": "Partial credit for multiple choice", "时长（分钟）": "Duration (minutes)",
    "及格分（百分制）": "Pass mark (out of 100)", "补考次数": "Retakes allowed", "补考等待（日）": "Days before a retake",
    "考生": "Candidate", "考试场次": "Exam sitting", "场次": "Sitting", "第几次": "Attempt no.", "组卷种子": "Paper seed",
    "试卷": "Paper", "开始时间": "Started at", "交卷时间": "Submitted at", "到时自动交卷": "Submitted at the deadline",
    "得分": "Points", "百分制得分": "Score (out of 100)", "合格": "Passed", "答卷": "Attempt", "所选选项": "Chosen options",
    "作答时间": "Answered at", "作答": "Answer", "证书编号": "Certificate no.", "发证日期": "Issued on",
    "合格证书": "Certificate", "培训主题": "Training topic", "培训日期": "Training date", "主讲人": "Trainer",
    "学时": "Hours", "参训人员": "Attendees", "培训": "Training", "您未报名本场考试。": "You are not enrolled in this sitting.",
    "本场考试尚未开始（%(at)s 开考）。": "This sitting has not opened yet (opens %(at)s).",
    "本场考试已截止。": "This sitting has closed.", "您有一份未交的答卷，请先完成它。": "You have an unfinished attempt; finish it first.",
    "本场考试的补考次数已用完（共可考 %(n)s 次）。": "No retakes left for this sitting (%(n)s attempts in all).",
    "补考须等待至 %(day)s。": "A retake is possible from %(day)s.", "您已通过本场考试，无需再考。": "You have already passed this sitting.",
    "考试时间已到，答卷已自动提交，此答案未被记录。": "Time is up: the attempt was submitted and this answer was not recorded.",
    "答卷已提交，不能再修改。": "The attempt is submitted and cannot change.", "这道题不在您的试卷上。": "This question is not on your paper.",
    "所选选项不属于这道题。": "That option does not belong to this question.", "这道题只能选一个选项。": "Choose one option only.",
    "组卷方案无效：%(error)s": "Invalid blueprint: %(error)s", "组织培训考试、查看成绩": "Run exams and see results",
    "编号系列": "Series", "年度": "Year", "已用到": "Last issued", "编号序列": "Number sequence", "我的考试": "My exams",
    "交卷": "Submit", "确认交卷": "Submit the paper", "已答 %(answered)s / %(total)s 题。": "%(answered)s of %(total)s answered.",
    "剩余时间": "Time left", "返回检查": "Back to check", "导入试题": "Import questions",
    "表头（第一行）依次为：": "The header row must be: ", "未导入任何试题。请修改后重新上传。": "Nothing was imported. Correct the file and upload it again.",
    "上传并导入": "Upload and import", "备案前培训考试": "Pre-filing exam", "我报名的场次": "My sittings", "线上": "online",
    "%(n)s 道题，限时 %(m)s 分钟，%(p)s 分及格": "%(n)s questions, %(m)s minutes, pass mark %(p)s",
    "开始答题": "Start", "尚未开考": "Not open yet", "已截止": "Closed",
    "您还没有报名考试。请联系所在社区。": "You are not enrolled in any sitting. Ask your community office.",
    "我的答卷": "My attempts", "次数": "Attempt", "成绩": "Score", "证书": "Certificate", "继续答题": "Continue",
    "不合格": "Failed", "暂无答卷。": "No attempts yet.", "第 %(index)s 题": "Question %(index)s",
    "第 %(index)s / %(total)s 题": "Question %(index)s of %(total)s", "已答 %(answered_count)s 题": "%(answered_count)s answered",
    "保存，上一题": "Save, previous", "保存，下一题": "Save, next", "保存并交卷": "Save and submit", "考试结果": "Result",
    "分": "points", "第 %(n)s 次": "attempt %(n)s", "下载合格证书（PDF）": "Download the certificate (PDF)",
    "答错的题目与解析": "Wrong answers, explained", "正确答案": "correct answer", "您的选择": "your choice",
    "返回我的考试": "Back to my exams", "考试场次与成绩": "Sittings and results", "参考人数": "Candidates who sat",
    "合格人数": "Passed", "合格率": "Pass rate", "规则": "Rules",
    "限时 %(m)s 分钟，%(p)s 分及格，可补考 %(r)s 次，间隔 %(w)s 日": "%(m)s minutes, pass mark %(p)s, %(r)s retakes, %(w)s days apart",
    "最常答错的题目": "Most often missed", "%(missed)s / %(asked)s 人次答错": "missed %(missed)s of %(asked)s times",
    "暂无数据。": "No data yet.", "结果": "Result", "答题中": "in progress", "自动交卷": "auto-submitted",
    "在管理后台“考试场次”中安排场次、添加考生。": "Schedule sittings and enrol candidates under Exam sittings in the admin.",
    "报名": "Enrolled", "参考": "Sat", "暂无场次。": "No sittings yet.", "证书核验": "Verify a certificate",
    "真实有效的记录": "A genuine record", "持证人": "Holder", "有效期至": "Valid until", "已过期": "expired",
    "核验未通过：没有与此编号和数字指纹相符的证书。证书可能被篡改，或编号、指纹输入有误。": "Not verified: no certificate matches this number and fingerprint. The paper may have been altered, or the number or fingerprint mistyped.",
    "数字指纹": "Fingerprint", "核验": "Verify",

}


def quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def main() -> int:
    path = Path(__file__).parent / "en" / "LC_MESSAGES" / "django.po"
    blocks = path.read_text(encoding="utf-8").split("\n\n")
    missing = []
    out = []
    for block in blocks:
        match = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        msgid = "".join(re.findall(r'"(.*)"', match.group(1))).replace('\\"', '"') if match else ""
        if not msgid:
            out.append(block)
            continue
        english = EN.get(msgid)
        if english is None:
            missing.append(msgid)
            out.append(block)
            continue
        # makemessages guesses from similar strings and marks them fuzzy (msgfmt skips them).
        block = block.replace("#, fuzzy\n", "").replace("#, fuzzy, ", "#, ")
        block = re.sub(r'^#\| .*\n', "", block, flags=re.M)
        if isinstance(english, tuple):
            block = re.sub(r'msgstr\[0\] ".*"', f'msgstr[0] "{quote(english[0])}"', block)
            block = re.sub(r'msgstr\[1\] ".*"', f'msgstr[1] "{quote(english[1])}"', block)
        else:
            block = re.sub(r'^msgstr (?:".*"\n?)+', lambda m, english=english: f'msgstr "{quote(english)}"\n', block, flags=re.M)
            block = block.rstrip("\n")
        out.append(block)
    path.write_text("\n\n".join(out), encoding="utf-8")
    for msgid in missing:
        print("untranslated:", msgid, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
