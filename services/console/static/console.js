// The console's one script: progressive enhancement only. Every page works
// without it. It asks before a form with data-confirm is sent, and keeps
// the alert list (#alerts) live: it opens the contract's alert stream
// (Server-Sent Events, through the console) and adds each open alert the
// server pushes, without a reload. It reads no cookie and stores nothing.
'use strict';

(function () {
  document.addEventListener('submit', function (e) {
    var form = e.target;
    var question = form.getAttribute && form.getAttribute('data-confirm');
    if (question && !window.confirm(question)) {
      e.preventDefault();
    }
  });

  var list = document.getElementById('alerts');
  var status = document.getElementById('live-status');
  var template = document.getElementById('alert-template');
  if (!list || !list.dataset.events || !template || !window.EventSource) {
    return;
  }

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

  function short(value, prefix) {
    return typeof value === 'string' && value.indexOf(prefix) === 0 ? value.slice(prefix.length) : (value || '');
  }

  function listed(name) {
    var items = list.querySelectorAll('li[data-alert]');
    for (var i = 0; i < items.length; i++) {
      if (items[i].dataset.alert === name) {
        return true;
      }
    }
    return false;
  }

  function field(li, name, text) {
    var el = li.querySelector('[data-field="' + name + '"]');
    if (el) {
      el.textContent = text;
    }
  }

  // add inserts an alert as the server rendered the listed ones, from
  // the page's <template>: text only, never markup from the stream.
  function add(alert) {
    var li = template.content.firstElementChild.cloneNode(true);
    li.dataset.alert = alert.name;
    field(li, 'condition', short(alert.condition, 'ALERT_CONDITION_'));
    field(li, 'level', alert.serviceLevelKey || '');
    field(li, 'kind', short(alert.kind, 'SERVICE_LEVEL_KIND_'));
    field(li, 'period', (alert.period || '').split('/').pop());
    field(li, 'raised', alert.createTime ? alert.createTime.replace('T', ' ').slice(0, 16) + ' UTC' : '');
    field(li, 'message', alert.message || '');
    var form = li.querySelector('form');
    if (form) {
      form.setAttribute('action', '/console/' + alert.name + '/acknowledge');
      var etag = form.querySelector('input[name="etag"]');
      if (!etag && alert.etag) {
        etag = document.createElement('input');
        etag.type = 'hidden';
        etag.name = 'etag';
        form.appendChild(etag);
      }
      if (etag) {
        etag.value = alert.etag || '';
      }
      var id = 'ack-' + alert.name.split('/').pop();
      var label = form.querySelector('label');
      var note = form.querySelector('input[name="note"]');
      if (label && note) {
        note.id = id + '-note';
        label.htmlFor = note.id;
      }
      var button = form.querySelector('button');
      if (button) {
        button.id = id;
      }
    }
    list.appendChild(li);
    var none = document.getElementById('no-alerts');
    if (none) {
      none.hidden = true;
    }
    say('New alert: ' + short(alert.condition, 'ALERT_CONDITION_') + ' on ' + (alert.serviceLevelKey || '') + '.');
  }

  var source = new EventSource(list.dataset.events);
  source.addEventListener('open', function () {
    list.dataset.live = 'connected';
    say('Live: new alerts appear here as they are raised.');
  });
  source.addEventListener('alert', function (e) {
    var event;
    try {
      event = JSON.parse(e.data);
    } catch (err) {
      return;
    }
    var alert = event && event.alert;
    // The stream replays alerts as they are now: only open ones belong
    // in the list, and each once.
    if (!alert || !alert.name || alert.state !== 'ALERT_STATE_OPEN' || listed(alert.name)) {
      return;
    }
    add(alert);
  });
  source.addEventListener('error', function (e) {
    if (e.data) {
      // The stream's own `error` event: the API's status, then the end.
      try {
        say('Live updates stopped: ' + JSON.parse(e.data).message + ' Reload the page to try again.');
      } catch (err) {
        say('Live updates stopped. Reload the page to try again.');
      }
      source.close();
      list.dataset.live = 'closed';
      return;
    }
    if (source.readyState === EventSource.CLOSED) {
      list.dataset.live = 'closed';
      say('Live updates stopped (your session may have ended). Reload the page to try again.');
    } else {
      list.dataset.live = 'reconnecting';
      say('Live updates interrupted; reconnecting…');
    }
  });
})();
