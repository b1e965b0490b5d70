from django import template

from committees.votes import selectors
from community.privacy import mask_name

register = template.Library()


@register.filter
def masked_name(name):
    """An owner's name as others see it (张三 -> 张**)."""
    return mask_name(name)


@register.filter
def agent_label(user):
    """A proxy's agent as others see them: the owner's masked name, else the masked mobile."""
    return selectors.agent_label(user)
