import sys
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from community.models import Building, Estate
from residents import letters, pdf


class Command(BaseCommand):
    help = (
        "为一个小区（或其中一栋楼）有业主登记的每户打印业主账号绑定函 PDF（A4 每页两份）。"
        "再次打印会使这些房屋此前未用完的绑定函作废。"
    )

    def add_arguments(self, parser):
        parser.add_argument("estate", help="小区编码，如 E0001")
        parser.add_argument("--building", help="只打印这一栋楼（楼栋名称，如 3号楼）")
        parser.add_argument("--out", required=True, help="写入的 PDF 文件")
        parser.add_argument("--by", help="打印人的用户名：须有该小区登记信息的修改权限，绑定函上记录由谁打印")
        parser.add_argument("--base-url", default="", help="二维码指向的网站地址，默认取设置 SITE_URL")
        parser.add_argument("--quiet-progress", action="store_true", help="不显示进度条")

    def handle(self, *args, estate, out, building=None, by=None, base_url="", quiet_progress=False, **options):
        target = Estate.objects.select_related("grid__community__street__district").filter(code=estate).first()
        if target is None:
            raise CommandError(f"没有编码为 {estate} 的小区。")
        block = None
        if building:
            block = Building.objects.filter(estate=target, name=building).first()
            if block is None:
                raise CommandError(f"小区 {target.name} 没有名为 {building} 的楼栋。")
        if not by:
            raise CommandError("请用 --by 指明打印人的用户名：每份绑定函都要记录由谁打印。")
        actor = get_user_model().objects.filter(username=by, is_active=True).first()
        if actor is None:
            raise CommandError(f"没有用户名为 {by} 的在用账号。")
        path = Path(out)
        if not path.parent.is_dir():
            raise CommandError(f"目录不存在：{path.parent}")
        site = base_url or getattr(settings, "SITE_URL", "")
        if not site:
            raise CommandError("请用 --base-url 指明网站地址（如 https://wy.example.gov.cn/），二维码要指向它。")
        site = site if site.endswith("/") else site + "/"
        with tqdm(total=0, disable=quiet_progress, file=sys.stderr, unit="户", dynamic_ncols=True) as bar:

            def progress(done, total, label):
                bar.set_description(label)
                bar.total = total
                bar.n = done
                bar.refresh()

            try:
                # The letters count only once their PDF is on disk: a file that cannot be written
                # rolls the printing back, so no unit is left with its old letter voided for nothing.
                with transaction.atomic():
                    issued = letters.issue_letters(
                        actor=actor,
                        estate=target,
                        building=block,
                        progress=lambda done, total: progress(done, total, "生成绑定码"),
                    )
                    body = pdf.letters_pdf(
                        issued, base_url=site, progress=lambda done, total: progress(done, total, "生成 PDF")
                    )
                    path.write_bytes(body)
            except PermissionDenied:
                raise CommandError(f"{by} 没有修改小区 {target.name} 登记信息的权限，不能打印绑定函。") from None
            except ValidationError as exc:
                raise CommandError("；".join(exc.messages)) from None
            except OSError as exc:
                raise CommandError(f"无法写入 {path}：{exc.strerror or exc}；未打印任何绑定函。") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"已生成 {target.name}{' ' + block.name if block else ''} 绑定函 {len(issued.letters)} 份"
                f"（有效期至 {issued.expires_on:%Y-%m-%d}），写入 {path}。"
            )
        )
