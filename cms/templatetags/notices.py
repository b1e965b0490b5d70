from django import template

register = template.Library()


@register.filter
def remaining_days(notice, today):
    return notice.remaining_days(today)
