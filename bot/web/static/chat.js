// Placeholder chat client; replaced by the full page.
const token = document.body.dataset.token;
const log = document.getElementById("log");
function show(who, text){const d=document.createElement("div");d.className="msg "+who;d.textContent=text;log.appendChild(d);}
async function send(path, body){const r=await fetch(path,{method:"POST",headers:{"Content-Type":"application/json"},body:JSON.stringify(body||{})});const j=await r.json();for(const m of j.messages){show("bot",m.text);}}
send(`/api/chat/${token}/start`);
document.getElementById("composer").addEventListener("submit",e=>{e.preventDefault();const i=document.getElementById("input");const t=i.value.trim();if(!t)return;show("me",t);i.value="";send(`/api/chat/${token}`,{message:t});});
