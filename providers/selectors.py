from django.db.models import Count, Q

from .models import Provider


def search(q: str):
    qs = Provider.objects.annotate(
        open_concerns=Count("concerns", filter=Q(concerns__state__in=[
            "awaiting_advice", "awaiting_routing", "on_jqmm_agenda", "further_action"]))
    )
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(name__icontains=q) | Q(town__icontains=q) | Q(cqc_location_id__iexact=q)
            | Q(cqc_location_id__icontains=q) | Q(postcode__icontains=q) | Q(address__icontains=q)
        )
    return qs.order_by("name")
