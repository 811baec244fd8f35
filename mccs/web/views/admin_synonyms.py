"""The administrators' synonyms page (/admin/synonyms): groups of words that mean the same in directory searches
(ADR 0130), added, changed and deleted through mccs.directory.synonyms."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mccs.core.errors import ApplicationError
from mccs.directory import synonyms
from mccs.matching.normalise import tags_from_text
from mccs.web.request_types import AuthenticatedHttpRequest
from mccs.web.views.accounts import Form, form_error
from mccs.web.views.admin import _page, _query_without_page, staff_required


class SynonymGroupForm(Form):
    words = forms.CharField(
        max_length=1100,
        label=gettext_lazy("Words that mean the same"),
        help_text=gettext_lazy("Separated by commas, for example: mechanic, car repair, garage."),
    )


@staff_required
def synonym_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = SynonymGroupForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                group = synonyms.synonym_group_create(
                    actor=request.user, words=tags_from_text(form.cleaned_data["words"])
                )
            except ApplicationError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("Synonyms added: %(words)s.") % {"words": ", ".join(group.words)})
                return redirect("web:admin_synonyms")
        status = 400
    query = request.GET.get("q", "").strip()
    context = {
        "form": form,
        "page": _page(request, synonyms.synonym_groups(query=query)),
        "q": query,
        "query": _query_without_page(request),
        "model_enabled": synonyms.model_enabled(),
    }
    return render(request, "web/admin/synonyms.html", context, status=status)


@staff_required
@require_POST
def synonym_change(request: AuthenticatedHttpRequest, group_id: str) -> HttpResponse:
    group = synonyms.synonym_group_get(group_id)
    try:
        if request.POST.get("action") == "delete":
            synonyms.synonym_group_delete(actor=request.user, group=group)
            messages.success(request, _("Synonyms deleted: %(words)s.") % {"words": ", ".join(group.words)})
        else:
            words = tags_from_text(request.POST.get("words", ""))
            changed = synonyms.synonym_group_update(actor=request.user, group=group, words=words)
            messages.success(request, _("Synonyms changed: %(words)s.") % {"words": ", ".join(changed.words)})
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("web:admin_synonyms")
